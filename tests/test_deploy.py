"""deploy/nginx.conf, as the nginx image loads it (a server inside `http`, with its `mime.types`): it parses, and it
serves a published directory as docs/operations.md says: precompressed siblings where there are some, archive files
compressed on request, archive documents cached for a day, no `.gz` or hidden file served."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from feedsvc.output.publish import publish
from tests.conftest import ROOT
from tests.origin import PNG, Origin, serving

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (CI installs it: Debian's `nginx`)")
MIME_TYPES = Path("/etc/nginx/mime.types")


def _config(tmp_path: Path, root: Path, port: int, upstream: str) -> Path:
    server = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_pass http://feedsvc:8080;" in server
    server = server.replace("proxy_pass http://feedsvc:8080;", f"proxy_pass {upstream};")
    server = server.replace("root /usr/share/nginx/html;", f"root {root};")
    server = server.replace("listen 80 default_server;", f"listen 127.0.0.1:{port};")
    mime = f"include {MIME_TYPES};" if MIME_TYPES.is_file() else ""
    config = tmp_path / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # its workers must read the test's private folder
    config.write_text(f"""{user}pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
daemon off;
events {{}}
http {{
    {mime}
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
{server}
}}
""", encoding="utf-8")
    return config


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def feedsvc_server() -> Iterator[Origin]:
    """What stands for feedsvc's own server behind nginx (the image proxy's `/img/`)."""
    with serving() as upstream:
        yield upstream


@pytest.fixture
def nginx(tmp_path: Path, feedsvc_server: Origin) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "public"
    page = "<html><body>" + "<p>第一號 新聞</p>" * 200 + "</body></html>"
    publish(root, {"all.atom": b"<feed>" + "<entry>新聞</entry>".encode() * 200 + b"</feed>",
                   "index.html": page.encode(),
                   "archive/all/2024-05.atom": b"<feed>" + "<entry>舊聞</entry>".encode() * 200 + b"</feed>",
                   "archive/all/2024-05.html": page.encode(), "archive/all/index.html": page.encode(),
                   "style.css": b"body { color: #222; }\n" * 80})
    (root / ".hidden").write_text("secret")
    port = _free_port()
    config = _config(tmp_path, root, port, f"http://127.0.0.1:{feedsvc_server.port}")
    assert NGINX is not None
    check = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0, check.stderr
    assert "[warn]" not in check.stderr and "[emerg]" not in check.stderr, check.stderr
    limit = [timeout, "60"] if (timeout := shutil.which("timeout")) else []  # it stops by itself if the test dies
    server = subprocess.Popen([*limit, NGINX, "-c", str(config), "-p", str(tmp_path)],
                              stderr=subprocess.DEVNULL)  # its errors go to error.log
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(f"nginx did not start: {(tmp_path / 'error.log').read_text()}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(url: str, gzip_ok: bool = True) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"} if gzip_ok else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, b""


def test_the_deployed_nginx_serves_the_published_files_as_promised(nginx: tuple[str, Path]) -> None:
    base, root = nginx
    for name, media_type, cache in [("all.atom", "application/atom+xml", "public, max-age=60"),
                                    ("index.html", "text/html", "public, max-age=60"),
                                    ("archive/all/2024-05.atom", "application/atom+xml", "public, max-age=86400"),
                                    ("archive/all/2024-05.html", "text/html", "public, max-age=60"),
                                    ("archive/all/index.html", "text/html", "public, max-age=60")]:
        status, headers, body = _get(f"{base}/{name}")
        assert status == 200, name
        assert headers["content-type"] == f"{media_type}; charset=utf-8", name
        assert headers["cache-control"] == cache, name
        assert headers.get("content-encoding") == "gzip", f"{name}: from its sibling, or compressed on request"
        assert gzip.decompress(body) == (root / name).read_bytes(), name
        status, headers, body = _get(f"{base}/{name}", gzip_ok=False)
        assert (status, body) == (200, (root / name).read_bytes()) and "content-encoding" not in headers, name
    assert _get(f"{base}/all.atom.gz")[0] == 404
    assert _get(f"{base}/.hidden")[0] == 404


def test_the_deployed_nginx_passes_images_to_feedsvc(nginx: tuple[str, Path], feedsvc_server: Origin) -> None:
    base, _ = nginx
    status, headers, body = _get(f"{base}/img/c2lnbmF0dXJl/aHR0cHM6Ly9leGFtcGxlLm9yZy9hLnBuZw")
    assert (status, body, headers["content-type"]) == (200, PNG, "image/png")
    assert feedsvc_server.hits("/img/c2lnbmF0dXJl/aHR0cHM6Ly9leGFtcGxlLm9yZy9hLnBuZw") == 1
    assert _get(f"{base}/imgs/a.png")[0] == 404  # only /img/ goes through


def test_the_deployed_nginx_serves_the_stylesheet_as_css(nginx: tuple[str, Path]) -> None:
    """Pages ask for `nosniff`: a stylesheet served with another type would not apply."""
    base, _ = nginx
    status, headers, _ = _get(f"{base}/style.css")
    assert status == 200 and headers["content-type"] == "text/css; charset=utf-8"
