"""Fetching an image from its origin for the image proxy. Only this module imports aiohttp's client.

Every URL is treated as hostile: only http and https; the host is resolved once, by `CheckedResolver`, which
refuses the whole answer when any address in it is not public (`addresses.refusal`) and hands the connector the
addresses it checked; an address literal is checked before any connection (the connector never resolves those);
each redirect hop is checked the same way. The response must be `200`, declare an image type and start with the
bytes of an image format (an HTML page sent as `image/png` is refused), within `max_bytes` and the time limit.
No cookie and no referrer are sent (a configured `Referer` for hosts that demand one aside); fetches per origin
host are bounded.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from feedsvc import __version__
from feedsvc.images.addresses import Judge, check_literal, refusal

MAX_REDIRECTS = 5
USER_AGENT = f"feedsvc/{__version__} (image proxy)"
_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/gif;q=0.9,image/*;q=0.5"
_CHUNK = 64 * 1024


def sniff(head: bytes) -> str | None:
    """The image type the first bytes of a body show, or None when they are not an image format served here
    (SVG is not: it can carry scripts that would run on this host)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (b"avif", b"avis"):
        return "image/avif"
    if head[:2] == b"BM" and len(head) >= 26:
        return "image/bmp"
    if head[:4] == b"\x00\x00\x01\x00":
        return "image/x-icon"
    return None


class FetchError(Exception):
    """Why an image could not be fetched; `refused` when the proxy would not even ask (an address or URL it does
    not fetch from), and the HTTP status to answer with."""

    def __init__(self, reason: str, status: int = 502, *, refused: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.status, self.refused = reason, status, refused


class RefusedAddressError(OSError):
    """The resolver's answer holds an address the proxy does not connect to."""


@dataclass(frozen=True)
class Fetched:
    body: bytes
    content_type: str


class CheckedResolver(AbstractResolver):
    """Resolves a host once and refuses it when the `judge` refuses any of its addresses (None: no judge): the
    connector connects to exactly the addresses returned here."""

    def __init__(self, judge: Judge | None) -> None:
        self.judge = judge

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, family=family)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
        results: list[ResolveResult] = []
        for found_family, _, proto, _, sockaddr in infos:
            address = str(sockaddr[0])
            problem = self.judge(ipaddress.ip_address(address.split("%", 1)[0])) if self.judge else None
            if problem:
                raise RefusedAddressError(f"{host} resolves to {address}: {problem}")
            results.append(ResolveResult(hostname=host, host=address, port=int(sockaddr[1]), family=found_family,
                                         proto=proto, flags=socket.AI_NUMERICHOST))
        if not results:
            raise OSError(f"cannot resolve {host}: no address")
        return results

    async def close(self) -> None:
        return None


def _refused_cause(exc: BaseException) -> RefusedAddressError | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RefusedAddressError):
            return seen
        seen = seen.__cause__ or getattr(seen, "os_error", None)
    return None


def _referer(referers: Mapping[str, str], host: str) -> str | None:
    for name, referer in referers.items():
        if host == name or host.endswith("." + name):
            return referer
    return None


class Fetcher:
    """Fetches images for the proxy; one per daemon, used from its event loop."""

    def __init__(self, *, max_bytes: int, timeout: float, host_fetches: int, private: bool,
                 referers: Mapping[str, str] | None = None, judge: Judge = refusal) -> None:
        """`private`: fetch from any address (`image_private_networks`); else `judge` says which are refused."""
        self.max_bytes, self.timeout, self.host_fetches = max_bytes, timeout, host_fetches
        self.judge: Judge | None = None if private else judge
        self.referers = dict(referers or {})
        self._session: aiohttp.ClientSession | None = None
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(resolver=CheckedResolver(self.judge), use_dns_cache=False,
                                             limit=64, limit_per_host=self.host_fetches, force_close=False)
            self._session = aiohttp.ClientSession(
                connector=connector, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                timeout=aiohttp.ClientTimeout(total=self.timeout, sock_connect=min(self.timeout, 5.0)),
                headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT}, auto_decompress=True)
        return self._session

    def _slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(host)
        if slot is None:
            if len(self._hosts) > 4096:  # forget the idle ones
                self._hosts = {h: s for h, s in self._hosts.items() if s.locked()}
            slot = self._hosts[host] = asyncio.Semaphore(self.host_fetches)
        return slot

    async def fetch(self, url: str) -> Fetched:
        """The image at `url`, or FetchError saying why not."""
        for _ in range(MAX_REDIRECTS + 1):
            problem = check_literal(url, self.judge)
            if problem:
                raise FetchError(f"{url}: {problem}", 403, refused=True)
            host = (urlsplit(url).hostname or "").lower()
            async with self._slot(host):
                location, fetched = await self._one(url, host)
            if fetched is not None:
                return fetched
            url = location
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    async def _one(self, url: str, host: str) -> tuple[str, Fetched | None]:
        """One request: (the next URL, None) for a redirect, else ("", the image)."""
        headers = {}
        referer = _referer(self.referers, host)
        if referer:
            headers["Referer"] = referer
        try:
            async with self._client().get(url, allow_redirects=False, headers=headers) as response:
                if response.status in (301, 302, 303, 307, 308):
                    location = response.headers.get("Location", "")
                    if not location:
                        raise FetchError(f"{url}: a redirect without a Location")
                    return urljoin(url, location), None
                if response.status != 200:
                    raise FetchError(f"{url}: the origin answered {response.status}",
                                     404 if response.status in (404, 410) else 502)
                declared = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                if not declared.startswith("image/"):
                    raise FetchError(f"{url}: not an image (Content-Type {declared or 'missing'})")
                length = response.content_length
                if length is not None and length > self.max_bytes:
                    raise FetchError(f"{url}: {length} bytes, more than image_max_bytes ({self.max_bytes})")
                body = bytearray()
                async for chunk in response.content.iter_chunked(_CHUNK):
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise FetchError(f"{url}: more than image_max_bytes ({self.max_bytes})")
        except FetchError:
            raise
        except TimeoutError:
            raise FetchError(f"{url}: no answer within {self.timeout:g} s", 504) from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            refused = _refused_cause(exc)
            if refused is not None:
                raise FetchError(str(refused), 403, refused=True) from None
            raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        kind = sniff(bytes(body[:32]))
        if kind is None:
            raise FetchError(f"{url}: the body is not an image (declared {declared})")
        return "", Fetched(bytes(body), kind)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
