"""The image proxy's benchmark: `python -m bench.images`. Prints figures; asserts nothing.

A `feedsvc serve` process in `image_mode = "self"` (private networks allowed: the origin is a server this
benchmark starts on 127.0.0.1) answers signed URLs of images of `--kb` KB:

- cached: requests per second for one cached image with keep-alive (wrk where installed, else Python clients);
- first fetch: for each of `--images` images never fetched before, the time of a request through the proxy,
  beside the time of the same request made straight to the origin (the origin's own time), medians.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from feedsvc.images.signing import signed_path

ROOT = Path(__file__).resolve().parent.parent
KEY = "benchmark-image-key-0123456789"


def _origin(size: int) -> tuple[http.server.ThreadingHTTPServer, int]:
    body = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(size)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            return

        def do_GET(self) -> None:  # headers and body in one write, as a real server sends them
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s"
                             % (len(body), body))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


def _daemon(workdir: Path) -> tuple[subprocess.Popen[bytes], int]:
    (workdir / "seeds").mkdir()
    (workdir / "seeds" / "1.txt").write_text("<!--1700000000000-->\n[图](https://www.dw.com/zh/a-1)\n------\n\n"
                                             "<p>正文</p>\n", encoding="utf-8")
    log = workdir / "daemon.log"
    env = {"PATH": "/usr/bin:/bin", "FEEDSVC_CONFIG": str(ROOT / "config" / "feedsvc.toml"),
           "FEEDSVC_IMAGE_MODE": "self", "FEEDSVC_IMAGE_PROXY_KEY": KEY, "FEEDSVC_IMAGE_PRIVATE_NETWORKS": "true"}
    command = [sys.executable, "-m", "feedsvc", "serve", "--port", "0", "--seeds", str(workdir / "seeds"),
               "--output", str(workdir / "public"), "--state", str(workdir / "var")]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", log.read_text(errors="replace"))
        if match:
            return process, int(match.group(1))
        time.sleep(0.05)
    process.terminate()
    raise SystemExit(f"the daemon did not start: {log.read_text(errors='replace')}")


def _timed_get(port: int, path: str) -> tuple[float, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed, response.status


def cached_rate(port: int, path: str, seconds: float) -> tuple[float, str]:
    """Requests per second for one cached image, keep-alive: (rate, tool)."""
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-t1", "-c16", f"-d{int(seconds)}s", f"http://127.0.0.1:{port}{path}"],
                             capture_output=True, text=True, check=True).stdout
        match = re.search(r"Requests/sec:\s+([\d.]+)", out)
        return (float(match.group(1)) if match else 0.0), "wrk, 1 thread, 16 connections"
    client = f"""
import http.client, time
c = http.client.HTTPConnection("127.0.0.1", {port}); n = 0; end = time.monotonic() + {seconds}
while time.monotonic() < end:
    c.request("GET", {path!r}); r = c.getresponse(); r.read(); n += r.status == 200
print(n)
"""
    clients = [subprocess.Popen([sys.executable, "-c", client], stdout=subprocess.PIPE) for _ in range(2)]
    return sum(int(c.communicate()[0]) for c in clients) / seconds, "2 Python clients"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.images", description=__doc__)
    parser.add_argument("--images", type=int, default=200, help="first fetches to time (default 200)")
    parser.add_argument("--kb", type=int, default=60, help="image size in KB (default 60)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the cached-image run")
    args = parser.parse_args(argv)
    origin, origin_port = _origin(args.kb * 1024)
    with tempfile.TemporaryDirectory(prefix="feedsvc-bench-images-") as tmp:
        process, port = _daemon(Path(tmp))
        try:
            key = KEY.encode()
            direct, proxied = [], []
            for number in range(args.images):
                url = f"http://127.0.0.1:{origin_port}/{number}.jpg"
                direct.append(_timed_get(origin_port, f"/{number}.jpg")[0])
                elapsed, status = _timed_get(port, "/" + signed_path(key, url))
                if status != 200:
                    raise SystemExit(f"the proxy answered {status}")
                proxied.append(elapsed)
            cached_path = "/" + signed_path(key, f"http://127.0.0.1:{origin_port}/0.jpg")
            rate, tool = cached_rate(port, cached_path, args.seconds)
        finally:
            process.terminate()
            process.wait(timeout=10)
            origin.shutdown()
    origin_ms, proxy_ms = statistics.median(direct) * 1000, statistics.median(proxied) * 1000
    print(f"image proxy, {args.kb} KB images, {args.images} first fetches")
    print("| figure | value |")
    print("| --- | --- |")
    print(f"| origin's own time, median | {origin_ms:.2f} ms |")
    print(f"| first fetch through the proxy, median | {proxy_ms:.2f} ms |")
    print(f"| added by the proxy, median | {proxy_ms - origin_ms:.2f} ms |")
    print(f"| cached image, keep-alive ({tool}) | {rate:,.0f} requests/s |")


if __name__ == "__main__":
    main()
