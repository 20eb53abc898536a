"""URLs: an article's canonical form, the key that finds duplicates, stable entry ids and dates embedded in paths;
any URL made absolute and valid; the images.weserv.nl proxy unwrapped."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

if TYPE_CHECKING:
    import uuid

_TRACKING_PARAMS = frozenset({
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ocid", "spm", "cmpid",
    "ref_src", "_ga", "yclid",
})
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in _TRACKING_PARAMS


def canonical_link(url: str) -> str | None:
    """The canonical absolute http(s) form of `url`, or None when it is not one.

    Scheme and host are lower-cased, default ports, fragments and tracking parameters dropped, doubled slashes in
    the path collapsed, and characters a URI may not hold (an IRI's CJK text, spaces) percent-encoded.
    """
    url = url.strip()
    if not url or any(ch in url for ch in "\x00\r\n\t"):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None
    if not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]", host if ":" not in host else f"[{host}]"):
        return None
    if ":" in host:
        host = f"[{host}]"
    if port is not None and not (scheme == "http" and port == 80) and not (scheme == "https" and port == 443):
        host = f"{host}:{port}"
    path = re.sub(r"/{2,}", "/", parts.path) or "/"
    path = quote(path, safe=_SAFE_PATH)
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    query = urlencode(query_pairs, safe=_SAFE_QUERY, quote_via=quote) if query_pairs else ""
    return _PERCENT.sub(lambda m: m.group(0).upper(), urlunsplit((scheme, host, path, query, "")))


def link_key(link: str) -> str:
    """What makes two canonical links the same story: everything but the scheme (http and https copies merge)."""
    return link.split("://", 1)[-1]


def entry_id(link: str) -> str:
    """A stable Atom id derived from the canonical link alone: same story, same id, on any machine, forever."""
    import uuid  # here: a command with nothing to do imports this module, never `uuid` (and `platform`: 3 ms)

    return f"urn:uuid:{uuid.uuid5(_id_namespace(), link_key(link))}"


@functools.cache
def _id_namespace() -> uuid.UUID:
    """A namespace of our own, so ids never collide with other generators' uuid5(URL) values."""
    import uuid

    return uuid.uuid5(uuid.NAMESPACE_URL, "https://feedsvc.invalid/entry-id")


def host_of(link: str) -> str:
    return (urlsplit(link).hostname or "").lower()


_FULL_DATE = re.compile(r"/((?:19|20)\d\d)(?:/([01]?\d)/([0-3]?\d)(?=/)|-([01]\d)-([0-3]\d)(?=[/._-]|$))")
_EPOCH_TIMES_DATE = re.compile(r"/(?:gb|b5)/(\d\d)/(\d{1,2})/(\d{1,2})/")
_MONTH = re.compile(r"/((?:19|20)\d\d)/([01]\d)/")
_DIGIT_RUN = re.compile(r"(?<![\d])((?:19|20)\d{6})\d*(?!\d)")


@dataclass(frozen=True)
class UrlDate:
    """A period the URL says the story was published in: one day, or one month."""

    start: datetime
    end: datetime

    @property
    def is_day(self) -> bool:
        return self.end - self.start <= timedelta(days=1)


def _day(year: int, month: int, day: int) -> UrlDate | None:
    try:
        start = datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None
    if not 1995 <= year <= 2100:
        return None
    return UrlDate(start, start + timedelta(days=1))


def url_date(link: str) -> UrlDate | None:
    """The publication day (or month) embedded in the URL path, if any.

    Recognised: `/2023/11/06/`, `/2020-07-30`, a digit run starting with a date (`/202008040123.aspx`),
    Epoch Times `/gb/20/7/27/`, and a bare `/2020/06/` month.
    """
    path = urlsplit(link).path
    for match in _FULL_DATE.finditer(path):
        month, day = (match.group(2), match.group(3)) if match.group(2) else (match.group(4), match.group(5))
        found = _day(int(match.group(1)), int(month), int(day))
        if found:
            return found
    for match in _EPOCH_TIMES_DATE.finditer(path):
        found = _day(2000 + int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if found:
            return found
    for run in _DIGIT_RUN.finditer(path):
        digits = run.group(1)
        found = _day(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
        if found:
            return found
    for match in _MONTH.finditer(path):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12 and 1995 <= year <= 2100:
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
            return UrlDate(start, end)
    return None


PROXY_HOSTS = frozenset({"images.weserv.nl", "wsrv.nl"})


def unwrap_proxy(url: str) -> str:
    """`https://images.weserv.nl/?url=host/path` (or `…weserv.nl?url=`) to `https://host/path`; others unchanged."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    if (parts.hostname or "").lower() not in PROXY_HOSTS:
        return url
    target = next((v for k, v in parse_qsl(parts.query) if k == "url"), "").strip()
    if not target:
        return url
    if target.startswith("ssl:"):
        target = target[4:]
    if target.startswith("//"):
        return "https:" + target
    if not re.match(r"^https?://", target, re.IGNORECASE):
        return "https://" + target.lstrip("/")
    return target


_URI_SAFE = "!#$%&'()*+,/:;=?@[]~"
"""RFC 3986's reserved characters and `%`: quoting leaves a valid URI alone and escapes what a URI cannot hold."""


def _ascii_host(parts: SplitResult) -> SplitResult:
    """An internationalized host name in its ASCII (punycode) form, which every reader resolves; others as they are."""
    if parts.netloc.isascii() or not parts.hostname:
        return parts
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return parts  # not a valid IDN: percent-escaped below, like the rest
    userinfo, _, _ = parts.netloc.rpartition("@")
    port = f":{parts.port}" if parts.port is not None else ""
    return parts._replace(netloc=f"{userinfo}@{host}{port}" if userinfo else f"{host}{port}")


_GLUED = re.compile(r"^https?://[^/?#]*?(?=https?://)", re.IGNORECASE)
"""A site's own address with a whole URL glued after it (`https://www.economist.comhttps://open.spotify.com/…`):
what a publisher's page makes of a link it took for a relative one. No valid URL has a scheme inside its host."""


def absolute(url: str, base: str) -> str | None:
    """`url` made absolute against `base` and escaped to a valid URI (spaces, non-ASCII; an internationalized host
    in punycode); None when it is not http(s) or mailto (or not a URL at all). A URL glued after a site's address
    (`_GLUED`) is the URL it holds."""
    url = url.strip()
    if url.count("://") > 1:  # a glued URL has two (the check spares the other 99.9 % a regular expression)
        url = _GLUED.sub("", url)
    try:
        parts = urlsplit(urljoin(base, url) if base else url)
        if parts.scheme.lower() not in ("http", "https", "mailto"):
            return None
        return quote(urlunsplit(_ascii_host(parts)), safe=_URI_SAFE)
    except ValueError:
        return None
