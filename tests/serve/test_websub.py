"""WebSub: feeds link their hubs; after a publish, each hub is told exactly the topics that changed, in the
background, with retries; nothing is sent when nothing changed."""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from feedsvc.ingest.scan import scan
from feedsvc.serve.daemon import Watcher
from feedsvc.serve.websub import Publisher
from feedsvc.settings import Settings
from tests.conftest import NOW, SAMPLES


class Hub:
    """A WebSub hub on 127.0.0.1 that records the topics it is told of, and refuses the first `failures`."""

    def __init__(self, failures: int = 0) -> None:
        self.topics: list[str] = []
        self.refused = 0
        self.failures = failures
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                form = urllib.parse.parse_qs(body)
                if hub.refused < hub.failures:
                    hub.refused += 1
                    self.send_response(503)
                else:
                    assert form["hub.mode"] == ["publish"]
                    hub.topics.extend(form["hub.url"])
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, seconds: float = 10) -> list[str]:
        deadline = time.monotonic() + seconds
        while len(self.topics) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return sorted(self.topics)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub() -> Iterator[Hub]:
    running = Hub(failures=1)
    yield running
    running.stop()


def test_a_refused_notification_is_retried_with_back_off(hub: Hub) -> None:
    results: list[str] = []
    publisher = Publisher([hub.url], count=results.append, first_delay=0.05)
    publisher.publish(["https://f.example/all.atom"])
    assert hub.wait_for(1) == ["https://f.example/all.atom"]
    publisher.close(5)  # the hub has the notification; the publisher counts it once it has read the answer
    assert hub.refused == 1 and results == ["retried", "ok"]


def test_a_hub_that_never_answers_is_given_up_and_counted() -> None:
    attempts: list[float] = []
    results: list[str] = []

    def refuse(hub: str, topic: str) -> None:
        attempts.append(time.monotonic())
        raise OSError("connection refused")

    publisher = Publisher(["http://127.0.0.1:9/hub"], send=refuse, count=results.append, first_delay=0.01)
    publisher.publish(["https://f.example/all.atom"])
    deadline = time.monotonic() + 10
    while "failed" not in results and time.monotonic() < deadline:
        time.sleep(0.01)
    assert results == ["retried"] * 4 + ["failed"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts)]
    assert all(gap >= 0.01 * 2 ** n for n, gap in enumerate(gaps)), "each retry waits twice as long as the last"
    publisher.close(1)


def test_the_daemon_pings_only_the_topics_that_changed(make_settings: Callable[..., Settings], hub: Hub) -> None:
    settings: Settings = make_settings(base_url="https://f.example/", settle_seconds=0.0)
    settings = replace(settings, websub_hubs=(hub.url,), formats=("atom", "json"))
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    watcher = Watcher(settings, clock=lambda: NOW)
    watcher.regenerate(scan(settings.seeds_dir), None)
    first = [f"https://f.example/{stem}{ext}" for stem in ("all", "sources/dw", "sources/rfa", "sources/voa")
             for ext in (".atom", ".json")]
    assert hub.wait_for(len(first)) == sorted(first)
    hub.topics.clear()
    watcher.regenerate(scan(settings.seeds_dir), None)  # nothing changed: nothing is sent
    new = (SAMPLES / "002_7e59d68a7c4f54af.txt").read_text(encoding="utf-8").replace(
        "7343844.html", "7343845.html").replace("核对话", "核对话（续）")
    (settings.seeds_dir / "new.txt").write_text(new, encoding="utf-8")
    watcher.regenerate(scan(settings.seeds_dir), None)
    expected = [f"https://f.example/{stem}{ext}" for stem in ("all", "sources/voa") for ext in (".atom", ".json")]
    assert hub.wait_for(len(expected)) == sorted(expected)
    assert watcher.metrics.websub.labels("ok")._value.get() >= len(first) + len(expected)
    assert watcher.hubs is not None
    watcher.hubs.close(1)


def test_every_subscription_document_links_its_hubs(make_settings: Callable[..., Settings]) -> None:
    from feedsvc.pipeline import regenerate

    settings = replace(make_settings(base_url="https://f.example/"), websub_hubs=("https://hub.example/",))
    for sample in SAMPLES.iterdir():
        shutil.copy(sample, settings.seeds_dir / sample.name)
    regenerate(settings, NOW)
    output = settings.output_dir
    assert '<link href="https://hub.example/" rel="hub"/>' in (output / "all.atom").read_text(encoding="utf-8")
    assert 'rel="self"' in (output / "all.atom").read_text(encoding="utf-8")
    rss = (output / "sources/dw.rss").read_text(encoding="utf-8")
    assert '<atom:link rel="hub" href="https://hub.example/"' in rss
    assert json.loads((output / "all.json").read_text(encoding="utf-8"))["hubs"] == [
        {"type": "WebSub", "url": "https://hub.example/"}]


def test_websub_hubs_must_be_http_urls() -> None:
    from feedsvc.errors import ConfigError
    from feedsvc.settings import load_settings

    with pytest.raises(ConfigError, match=r"websub_hubs: .* must be an absolute http"):
        load_settings(None, environ={"FEEDSVC_WEBSUB_HUBS": "ftp://hub.example/"})
