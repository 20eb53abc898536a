"""WebSub (W3C Recommendation) publishing: after a publish that changed feeds, tell each hub which topics (feed
URLs) changed, so readers subscribed through the hub get the news at once instead of polling.

Notifications go out from a thread of their own, in the background: a hub that is slow, down or failing never
delays or fails a regeneration. A failed notification is retried with exponential back-off a few times, then
given up (and logged; the next change notifies again). Each hub gets one request per topic: `hub.mode=publish`,
`hub.url=<topic>`, the form hubs such as websub.appspot.com and Superfeedr accept.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from feedsvc.output.plan import base_url
from feedsvc.report import Report
from feedsvc.settings import Settings

log = logging.getLogger(__name__)
ATTEMPTS = 5
FIRST_DELAY = 1.0
TIMEOUT = 10.0


@dataclass(frozen=True)
class Ping:
    hub: str
    topic: str
    attempt: int = 1


def notify(hub: str, topic: str, timeout: float = TIMEOUT) -> None:
    """One publish notification; raises OSError (or urllib's errors) when the hub does not accept it (2xx)."""
    body = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": topic}).encode()
    request = urllib.request.Request(hub, data=body, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(hub, response.status, "not accepted", response.headers, None)


class Publisher:
    """Notifies hubs in a background thread; `publish` only queues."""

    def __init__(self, hubs: Iterable[str], *, send: Callable[[str, str], None] = notify,
                 count: Callable[[str], None] = lambda result: None, first_delay: float = FIRST_DELAY) -> None:
        self.hubs = tuple(hubs)
        self.send = send
        self.count = count
        self.first_delay = first_delay
        self._queue: queue.Queue[Ping | None] = queue.Queue()
        self._retries: list[tuple[float, Ping]] = []
        self._thread = threading.Thread(target=self._run, name="websub", daemon=True)
        self._thread.start()

    def publish(self, topics: Iterable[str]) -> None:
        """Queue a notification of every hub for each topic (feed URL) that changed."""
        for topic in sorted(set(topics)):
            for hub in self.hubs:
                self._queue.put(Ping(hub, topic))

    def close(self, wait: float = 0.0) -> None:
        """Stop (retries still waiting are dropped), waiting at most `wait` seconds for a request under way."""
        self._queue.put(None)
        self._thread.join(wait)

    def idle(self) -> bool:
        """Whether nothing is queued or waiting for a retry."""
        return self._queue.unfinished_tasks == 0 and not self._retries

    def _run(self) -> None:
        while True:
            due = min((when for when, _ in self._retries), default=None)
            try:
                item = self._queue.get(timeout=None if due is None else max(0.0, due - time.monotonic()))
            except queue.Empty:
                item = False  # type: ignore[assignment]  # a retry is due
            if item is None:
                self._queue.task_done()
                return
            if item:
                self._try(item)
                self._queue.task_done()
            now = time.monotonic()
            ready = [ping for when, ping in self._retries if when <= now]
            self._retries = [(when, ping) for when, ping in self._retries if when > now]
            for ping in ready:
                self._try(ping)

    def _try(self, ping: Ping) -> None:
        try:
            self.send(ping.hub, ping.topic)
        except (OSError, ValueError) as exc:
            if ping.attempt >= ATTEMPTS:
                log.warning("WebSub: %s did not take %s after %d attempts (%s); giving up until the next change",
                            ping.hub, ping.topic, ping.attempt, exc)
                self.count("failed")
                return
            delay = self.first_delay * 2 ** (ping.attempt - 1)
            log.info("WebSub: %s refused %s (%s); trying again in %.1f s", ping.hub, ping.topic, exc, delay)
            self.count("retried")
            self._retries.append((time.monotonic() + delay, Ping(ping.hub, ping.topic, ping.attempt + 1)))
            return
        log.debug("WebSub: %s notified of %s", ping.hub, ping.topic)
        self.count("ok")


_SUBSCRIPTION = re.compile(r"^(?:[a-z-]+/)?(?:all|sources/[^/]+)\.(?:atom|rss|json)$")
"""A subscription document: `[variant/]all.<format>` or `[variant/]sources/<slug>.<format>`."""


def changed_topics(settings: Settings, report: Report) -> list[str]:
    """The URLs of the subscription documents a regeneration wrote: the topics hubs are told about."""
    return sorted(base_url(settings) + name for name in report.files_written if _SUBSCRIPTION.match(name))
