"""Retries back off exponentially (and honour Retry-After); the host guard refuses registry names that resolve to
private addresses; a broken certificate is accepted and what was wrong with it recorded on the capture. Real crawls
(`nianbao crawl` in a subprocess) against small servers on loopback, not the sandbox: each server misbehaves in the one
way its test is about."""
from __future__ import annotations

import gzip
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from archive.store.db import open_archive
from archive.store.models import T
from crawler.fetch.middlewares import backoff_delay
from tests.support.crawls import QUICK, ROOT

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")

HEADER = "name,level,kind,division_code,parent,portal_url,column_urls,platform,enabled\n"


def test_backoff_doubles_up_to_the_cap_and_honours_retry_after():
    assert [backoff_delay(n, 1.0, 60.0, jitter=1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(10, 1.0, 60.0, jitter=1.0) == 60.0
    assert 0.5 <= backoff_delay(1, 1.0, 60.0) <= 1.0
    assert backoff_delay(1, 1.0, 60.0, retry_after="7") == 7.0
    assert backoff_delay(1, 1.0, 60.0, retry_after="3600") == 60.0
    assert backoff_delay(1, 1.0, 60.0, retry_after="Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert backoff_delay(2, 1.0, 60.0, retry_after="soon", jitter=1.0) == 2.0  # unreadable: exponential


class Flaky(BaseHTTPRequestHandler):
    """The home page fails twice with 503, then answers; /busy answers 429 with Retry-After: 1, then a page."""

    hits: ClassVar[dict[str, list[float]]] = {}

    def do_GET(self):
        times = self.hits.setdefault(self.path, [])
        times.append(time.monotonic())
        if self.path == "/" and len(times) <= 2:
            self._send(503, b"busy")
        elif self.path == "/" :
            self._send(200, '<html><body><a href="/busy">政务公开</a></body></html>'.encode())
        elif self.path == "/busy" and len(times) == 1:
            self._send(429, b"slow down", [("Retry-After", "1")])
        else:
            self._send(404 if self.path == "/robots.txt" else 200, b"<html><body>nothing</body></html>")

    def _send(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _crawl(registry, tmp_path, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--registry", str(registry), "--db",
            str(tmp_path / "archive.sqlite"), "--years", "2024", "--run-id", "polite", *QUICK, *extra]
    return subprocess.run(args, env={**clean, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@contextmanager
def _serving(handler):
    """The port of a server on loopback answering with `handler`, for the duration of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_port
    finally:
        server.shutdown()


def test_retries_wait_longer_each_time_and_as_long_as_retry_after_says(tmp_path):
    registry = tmp_path / "registry.csv"
    with _serving(Flaky) as port:
        registry.write_text(HEADER + f"某县人民政府,county,government,,,http://127.0.0.1:{port}/,,,\n",
                            encoding="utf-8")
        done = _crawl(registry, tmp_path, "--allow-private", "-s", "NIANBAO_RETRY_BACKOFF=0.4")
    assert done.returncode in (0, 1), done.stderr[-2000:]
    home, busy = Flaky.hits["/"], Flaky.hits["/busy"]
    assert len(home) == 3, home  # two 503s, then the page
    first, second = home[1] - home[0], home[2] - home[1]
    assert first >= 0.2 and second >= 0.4, (first, second)  # 0.4 s × [½, 1], then 0.8 s × [½, 1]
    assert len(busy) == 2 and busy[1] - busy[0] >= 0.95, busy  # Retry-After: 1


class Throttled(BaseHTTPRequestHandler):
    """A report column of three reports, each answering 429 with Retry-After: 1 the first time."""

    hits: ClassVar[dict[str, list[float]]] = {}

    def do_GET(self):
        times = self.hits.setdefault(self.path, [])
        times.append(time.monotonic())
        if self.path == "/nb/":
            body = "".join(f'<li><a href="/nb/t202501{i + 10}_1.html">某县2024年政府信息公开工作年度报告（{i}）</a>'
                           f'<span>2025-01-{i + 10}</span></li>' for i in range(3))
            Flaky._send(self, 200, f"<html><body><ul>{body}</ul></body></html>".encode())
        elif self.path.startswith("/nb/t") and len(times) == 1:
            Flaky._send(self, 429, b"slow down", [("Retry-After", "1")])
        else:
            Flaky._send(self, 404 if self.path == "/robots.txt" else 200,
                        "<html><body><h1>某县2024年政府信息公开工作年度报告</h1></body></html>".encode())

    def log_message(self, *args):
        pass


def test_a_retry_waiting_out_its_backoff_does_not_hold_one_of_the_hosts_two_places(tmp_path):
    registry = tmp_path / "registry.csv"
    with _serving(Throttled) as port:
        registry.write_text(HEADER + f"某县人民政府,county,government,,,,http://127.0.0.1:{port}/nb/,,\n",
                            encoding="utf-8")
        done = _crawl(registry, tmp_path, "--allow-private")
    reports = [times for path, times in Throttled.hits.items() if path.startswith("/nb/t")]
    assert len(reports) == 3 and all(len(times) == 2 for times in reports), (Throttled.hits, done.stderr[-2000:])
    # Two reports answered 429 at once and wait a second each; the third was asked for meanwhile, not after.
    firsts = sorted(times[0] for times in reports)
    assert firsts[2] - firsts[0] < 0.5, firsts


@pytest.mark.parametrize("allow", [False, True])
def test_a_name_resolving_to_a_private_address_is_refused_unless_allowed(tmp_path, allow):
    registry = tmp_path / "registry.csv"
    registry.write_text(HEADER + "某内网局,county,department,,,http://intranet.example.gov.cn:9/,,,\n",
                        encoding="utf-8")
    extra = ["-s", "TWISTED_DNS_RESOLVER=tests.support.hosts_resolver.HostsResolver", "-s", "RETRY_ENABLED=False",
             "-s", "LOG_LEVEL=INFO"]
    done = _crawl(registry, tmp_path, *extra, *(["--allow-private"] if allow else []),
                  env={"NIANBAO_TEST_HOSTS": "intranet.example.gov.cn=127.0.0.1"})
    output = done.stdout + done.stderr
    errors = json.loads((tmp_path / "runs" / "polite.json").read_text(encoding="utf-8"))["portals"][0]["errors"]
    if allow:  # allowed, the crawl tried the address (port 9 is closed) and says the portal is unreachable
        assert errors == {"unreachable": 1}, output[-3000:]
    else:
        assert errors == {"host_guard": 1}, output[-3000:]  # the name is under .gov.cn: only its address is refused


def _expired_self_signed(folder) -> tuple[str, str]:
    """A certificate for "localhost" that signed itself and expired in 2021: three faults government sites have."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
            .not_valid_after(datetime(2021, 1, 1, tzinfo=UTC))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


class Column(BaseHTTPRequestHandler):
    """A report column with one report article."""

    def do_GET(self):
        pages = {"/nb/": '<html><body><ul class="list"><li><a href="/nb/t20250120_1.html">某县2024年政府信息公开工作'
                         '年度报告</a><span>2025-01-20</span></li></ul></body></html>',
                 "/nb/t20250120_1.html": "<html><head><title>某县2024年政府信息公开工作年度报告</title></head><body>"
                                         "<h1>某县2024年政府信息公开工作年度报告</h1><p>一、总体情况</p></body></html>"}
        body = pages.get(self.path, "").encode("utf-8")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Guarded(Column):
    """The column behind a 加速乐-style challenge, gzipped as most portals send their pages."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Cookie", "")))
        if "waf=ok" in self.headers.get("Cookie", "") or self.path == "/robots.txt":
            super().do_GET()
            return
        body = gzip.compress(b"<html><script>document.cookie=('wa')+('f=o')+('k')+';path=/';"
                             b"location.href=location.pathname</script></html>")
        self.send_response(412)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_a_gzipped_challenge_page_is_passed_with_its_cookie_and_never_archived(tmp_path):
    registry = tmp_path / "registry.csv"
    with _serving(Guarded) as port:
        column = f"http://127.0.0.1:{port}/nb/"
        registry.write_text(HEADER + f"某县人民政府,county,government,,,,{column},,\n", encoding="utf-8")
        done = _crawl(registry, tmp_path, "--allow-private")
    assert ("/nb/", "") in Guarded.seen and ("/nb/", "waf=ok") in Guarded.seen, Guarded.seen
    archive = open_archive(str(tmp_path / "archive.sqlite"))
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T["captures"].c.final_url, T["captures"].c.status)).all()
    assert rows == [(f"{column}t20250120_1.html", 200)], done.stderr[-3000:]


class Proxy(BaseHTTPRequestHandler):
    """An HTTP proxy for ten county portals, each a report column with ten reports. It counts its connections and the
    requests each host has in flight at once."""

    protocol_version = "HTTP/1.1"  # keep-alive
    connections = 0
    requests = 0
    lock = threading.Lock()
    in_flight: ClassVar[dict[str, int]] = {}
    most: ClassVar[dict[str, int]] = {}

    def setup(self):  # once per connection
        type(self).connections += 1
        super().setup()

    def do_GET(self):
        url = urlsplit(self.path)
        with self.lock:
            type(self).requests += 1
            self.in_flight[url.hostname] = self.in_flight.get(url.hostname, 0) + 1
            self.most[url.hostname] = max(self.most.get(url.hostname, 0), self.in_flight[url.hostname])
        time.sleep(0.05)  # slow enough that many requests are in flight at once
        with self.lock:  # before the response: the crawler cannot have been told this one is done
            self.in_flight[url.hostname] -= 1
        if url.path == "/nb/":
            body = "".join(f'<li><a href="/nb/t202501{i + 10}_1.html">某县2024年政府信息公开工作年度报告（{i}）</a>'
                           f'<span>2025-01-{i + 10}</span></li>' for i in range(10))
        elif url.path.startswith("/nb/t"):
            body = "<h1>某县2024年政府信息公开工作年度报告</h1><p>一、总体情况</p>"
        else:
            body = ""
        data = f"<html><body><ul>{body}</ul></body></html>".encode() if body else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_two_requests_at_most_per_host_over_connections_kept_alive(tmp_path):
    registry, probe = tmp_path / "registry.csv", tmp_path / "probe"
    rows = "".join(f"某县{i}局,county,department,,,,http://x{i}.gov.cn/nb/,,\n" for i in range(10))
    registry.write_text(HEADER + rows, encoding="utf-8")
    with _serving(Proxy) as port:
        done = _crawl(registry, tmp_path, "--allow-private", "-s",
                      'EXTENSIONS={"tests.support.slot_queue_probe.SlotQueueProbe": 500}',
                      env={"http_proxy": f"http://127.0.0.1:{port}", "NIANBAO_TEST_PROBE": str(probe)})
    assert Proxy.requests >= 120, done.stderr[-3000:]  # robots.txt, the column and ten reports on each portal
    # Scrapy 2.19 alone sent up to ten at a time to one host (crawler/fetch/downloader.py).
    assert max(Proxy.most.values()) == 2, Proxy.most
    # Nor is a host handed more than it can take: the engine took a column's ten reports in a row, eight of them to
    # wait in the host's slot holding places of CONCURRENT_REQUESTS (crawler/fetch/host_queue.py).
    assert probe.read_text() == "0"
    # Through a proxy, no more connections than requests in flight; Scrapy alone kept two of them open.
    assert Proxy.connections <= 20, (Proxy.connections, Proxy.requests)


def test_the_tls_outcome_is_recorded_on_the_capture(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Column)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_expired_self_signed(tmp_path))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    column = f"https://127.0.0.1:{server.server_port}/nb/"
    registry = tmp_path / "registry.csv"
    registry.write_text(HEADER + f"某县人民政府,county,government,,,,{column},,\n", encoding="utf-8")
    try:
        done = _crawl(registry, tmp_path, "--allow-private", "-s", "ROBOTSTXT_OBEY=False")
    finally:
        server.shutdown()
    archive = open_archive(str(tmp_path / "archive.sqlite"))
    with archive.engine.connect() as conn:
        rows = conn.execute(select(T["captures"].c.final_url, T["captures"].c.tls)).all()
    assert rows == [(f"https://127.0.0.1:{server.server_port}/nb/t20250120_1.html",
                     "unverified: expired 2021-01-01; issued for another name than 127.0.0.1; self-signed")], \
        done.stderr[-3000:]
