"""`feedsvc rules`: find each source's boilerplate (`suggest`) and show what every cleaning rule removes (`audit`),
from the cache where it can (`commands`)."""
