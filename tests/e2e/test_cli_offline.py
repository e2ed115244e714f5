"""`nianbao crawl` through the user's own proxy on loopback: trusted without --allow-private, and no connection or
name lookup leaves loopback (Scrapy's cookie handling once had tldextract download the public suffix list)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from tests.support import ROOT
from tests.support.crawls import QUICK

HEADER = "name,level,kind,division_code,parent,portal_url,column_urls,platform,enabled\n"
# Runs `nianbao` with an audit hook that writes down every connection and name lookup the process makes.
PROBE = """
import json, sys
seen = []
def hook(event, args):
    if event == "socket.connect":
        seen.append(["connect", str(args[1][0]) if isinstance(args[1], tuple) else str(args[1])])
    elif event == "socket.getaddrinfo":
        seen.append(["getaddrinfo", str(args[0])])
sys.addaudithook(hook)
from crawler.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    json.dump(seen, out)
sys.exit(code)
"""
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


class Proxy(BaseHTTPRequestHandler):
    """An HTTP proxy standing in for the user's (a client on 127.0.0.1:7890): a home page with a cookie, for every
    URL asked of it."""

    asked: ClassVar[list[str]] = []

    def do_GET(self):
        self.asked.append(self.path)
        body = "<html><body><a href='/zwgk/'>政务公开</a></body></html>".encode()
        self.send_response(404 if self.path.endswith("/robots.txt") else 200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Set-Cookie", "sid=1; Domain=www.anping.gov.cn; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # type: ignore[no-untyped-def]
        pass


def test_crawl_through_a_loopback_proxy_of_ones_own_stays_on_loopback(tmp_path: Path):
    registry = tmp_path / "registry.csv"
    registry.write_text(HEADER + "安平县人民政府,county,government,131125,,http://www.anping.gov.cn/,,,1\n",
                        encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proxy = f"http://127.0.0.1:{server.server_address[1]}"
    seen = tmp_path / "seen.json"
    # No cached suffix list: a first run, as a new user's.
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), PYTHONPATH=str(ROOT), PYTHONWARNINGS="error::DeprecationWarning")
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(seen), "crawl", "--registry", str(registry), "--db",
             str(tmp_path / "archive.sqlite"), "--years", "2023", "--proxy", proxy, *QUICK],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    finally:
        server.shutdown()
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "Warning" not in done.stderr, done.stderr[-3000:]
    # Through the proxy (absolute URLs), the cookie stored and sent on (the suffix list was consulted) …
    assert "http://www.anping.gov.cn/" in Proxy.asked
    # … and nothing else: every connection and lookup went to loopback.
    calls = json.loads(seen.read_text())
    assert any(kind == "connect" for kind, _ in calls)
    assert {host for _, host in calls} <= LOOPBACK, calls
