"""Which URL readers are sent for each image of an article: the `image_mode` setting, applied by the renderers to
every `<img>` (`src` and `srcset`) of every format, variant and page, so changing it renders again and never
cleans again. Pure.

The cleaner leaves each image the URL its seed gave it (made absolute), the images.weserv.nl proxy included:

- `origin`: the image's own URL, the proxy unwrapped (unless the source's `unwrap_image_proxy` is false);
- `keep`: the URL the seed came with;
- `template`: the origin URL, percent-encoded, put in `image_url_template` where it says `{url}`;
- `self`: feedsvc's own signed URL, `<base_url>img/…`, which `feedsvc serve` answers from its image cache.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote

from feedsvc.images.signing import signed_path
from feedsvc.links import absolute, unwrap_proxy
from feedsvc.settings import Settings

_IMG = re.compile(rb"<img\s[^>]*>")
_URL_ATTRIBUTE = re.compile(rb"(\s(?:src|srcset)=\")([^\"]*)(\")")
_SRCSET_CANDIDATE = re.compile(r"[\s,]*([^\s,][^\s]*?)(,+(?=\s|$)|,*$|\s+([^,]*)(?:,|$))")
"""One `srcset` candidate as HTML parses it: a URL (a run without whitespace; commas ending it are separators),
then its descriptors up to the next comma."""


def srcset_candidates(value: str) -> list[tuple[str, str]]:
    """(URL, descriptors) of each candidate of a `srcset` value."""
    return [(m.group(1), (m.group(3) or "").strip()) for m in _SRCSET_CANDIDATE.finditer(value)]


@dataclass(frozen=True)
class ImagePolicy:
    """How image URLs are published (`image_policy` builds it from the settings)."""

    mode: str = "origin"
    template: str = ""
    """`template` mode: a URL with `{url}` in it."""
    prefix: str = ""
    """`self` mode: `base_url` (the image URLs are `<prefix>img/<signature>/<origin>`)."""
    key: bytes = b""
    """`self` mode: the key that signs the URLs."""
    proxied: frozenset[str] = frozenset()
    """Slugs of the sources whose images are published through the proxy the seed used (`unwrap_image_proxy`
    false); `*`: every source."""

    @property
    def identity(self) -> tuple[str, ...]:
        """What the published bytes depend on (the key as a digest): part of every document's digest."""
        key = hashlib.sha256(self.key).hexdigest()[:16] if self.key else ""
        return (self.mode, self.template, self.prefix, key, *sorted(self.proxied))

    def origin(self, url: str, source: str) -> str:
        """The URL the image really lives at, as this policy sees it."""
        if "*" in self.proxied or source in self.proxied:
            return url
        unwrapped = unwrap_proxy(url)
        return url if unwrapped == url else (absolute(unwrapped, "") or url)

    def url(self, url: str, source: str) -> str:
        """What readers are sent for an image the cleaner left at `url` (absolute), in an article of `source`."""
        if self.mode == "keep":
            return url
        origin = self.origin(url, source)
        if self.mode == "template":
            return self.template.replace("{url}", quote(origin, safe=""))
        if self.mode == "self":
            return self.prefix + signed_path(self.key, origin)
        return origin

    def rewrite(self, html: bytes, source: str) -> bytes:
        """Cleaned article HTML (UTF-8, as the sanitizer serialized it) with each image's URLs as this policy
        publishes them; `html` itself when that changes nothing."""
        if self.mode == "keep" or b"<img" not in html:
            return html
        rewritten = _rewritten(self, html, source)
        return html if rewritten == html else rewritten


@functools.lru_cache(maxsize=512)
def _rewritten(policy: ImagePolicy, html: bytes, source: str) -> bytes:
    """`ImagePolicy.rewrite`'s work, remembered: the daemon publishes the newest stories again on every run, and
    rewriting their image URLs again took 0.06 s of a 0.6 s run at 3,000 seeds (cProfile of a new seed's run)."""
    from html import unescape  # here, not above: a run with nothing to do imports this module, never `html`

    def attribute(match: re.Match[bytes]) -> bytes:
        value = unescape(match.group(2).decode("utf-8"))
        if match.group(1).endswith(b"srcset=\""):
            new = ", ".join(f"{policy.url(url, source)} {descriptors}".rstrip()
                            for url, descriptors in srcset_candidates(value))
        else:
            new = policy.url(value, source)
        escaped = new.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        return match.group(1) + escaped.encode("utf-8") + match.group(3)

    return _IMG.sub(lambda tag: _URL_ATTRIBUTE.sub(attribute, tag.group(0)), html)



def image_policy(settings: Settings, key: bytes = b"") -> ImagePolicy:
    """The policy the settings ask for; `key` signs `self` mode's URLs (`images.key.proxy_key`)."""
    proxied = frozenset({"*"} if not settings.unwrap_image_proxy else
                        {s.slug for s in settings.sources if not s.rules.unwrap_image_proxy})
    base = settings.base_url if settings.base_url.endswith("/") else settings.base_url + "/"
    if settings.image_mode == "self":
        return ImagePolicy("self", prefix=base, key=key, proxied=proxied)
    if settings.image_mode == "template":
        return ImagePolicy("template", template=settings.image_url_template, proxied=proxied)
    return ImagePolicy(settings.image_mode, proxied=proxied)
