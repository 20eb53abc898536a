"""Article HTML to safe, clean HTML and a summary. Pure: rules and URLs come in, nothing is read or looked up.

Only this package imports bleach and lxml.html, so the sanitizer can be replaced in one place.

Order matters: an lxml pass removes active content *with* its text (bleach's strip=True would keep a script's
code as visible words), feedx's footer, the lead date line and the source's boilerplate; it fixes images, embeds,
captions and links (an image keeps its seed's URL, proxy included: the renderers choose what readers get) and
brings the structure to the allowlist; bleach then enforces the allowlist; characters XML forbids go last.

The package imports nothing itself: `article.clean` is the entry, `selectors` checks the configuration's selectors
alone, and a command that finds nothing to clean (most runs of `feedsvc regenerate`) imports neither lxml.html
nor bleach (0.06 s of a warm run's 0.3 s, measured with `python -X importtime`).
"""
