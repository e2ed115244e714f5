"""The sandbox's HTTP/1.1 proxy server: plain asyncio, keep-alive, pipelining, one core.

Clients use it as an `http_proxy`: request lines carry absolute URLs (`GET http://www.x.gov.cn/a.html HTTP/1.1`)
and the URL's host selects the portal; origin-form requests are answered for their Host header. CONNECT (an https
URL through the proxy) is refused, which is how an https-only portal looks to a crawler here: unreachable.

Most responses are made synchronously by the app; a response may ask to be delayed, to have its body made later
(a document rendered in a worker process) or to be streamed (the 100 MB attachment), and the connection then
waits for it, keeping the order of pipelined requests.
"""
from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from urllib.parse import urlsplit

from sandbox.http import REASONS, Request, Response

MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024
Handler = Callable[[Request], Response]


class _Date:
    """The Date header, formatted once a second rather than once a response."""

    def __init__(self):
        self.second, self.value = 0, ""

    def __call__(self) -> str:
        now = int(time.time())
        if now != self.second:
            self.second, self.value = now, formatdate(now, usegmt=True)
        return self.value


_date = _Date()


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method.upper(), target, version.upper(), headers


def make_request(method: str, target: str, headers: dict[str, str], body: bytes) -> Request:
    if target.startswith(("http://", "https://")):
        parts = urlsplit(target)
    else:
        parts = urlsplit("http://" + headers.get("host", "") + target)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no portal answers there
        port = -1
    return Request(method, (parts.hostname or "").lower(), parts.path or "/", parts.query, headers, body, port)


def _head_bytes(status: int, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Unknown')}"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class HttpProtocol(asyncio.Protocol):
    def __init__(self, handler: Handler):
        self.handler = handler
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.busy = False  # an asynchronous response is being written: later requests wait
        self.closing = False
        self.can_write = asyncio.Event()
        self.can_write.set()

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc):
        self.closing = True
        self.can_write.set()

    def pause_writing(self):
        self.can_write.clear()

    def resume_writing(self):
        self.can_write.set()

    def data_received(self, data: bytes):
        self.buffer += data
        if not self.busy:
            self._process()

    def _process(self):
        while not self.busy and not self.closing:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEAD:
                    self._fail(400)
                return
            try:
                method, target, version, headers = parse_head(bytes(self.buffer[:end]))
                length = int(headers.get("content-length") or 0)
            except ValueError:
                self._fail(400)
                return
            if length > MAX_BODY:
                self._fail(400)
                return
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4:end + 4 + length])
            del self.buffer[:end + 4 + length]
            connection = headers.get("connection", headers.get("proxy-connection", "")).lower()
            keep = connection == "keep-alive" if version == "HTTP/1.0" else connection != "close"
            if method == "CONNECT":
                self._write(Response(502, b"TLS is not available in the sandbox\n", "text/plain"), False, keep)
                continue
            try:
                response = self.handler(make_request(method, target, headers, body))
            except Exception as exc:  # a generator bug must show as a 500 naming it, not kill the connection
                response = Response(500, f"sandbox error: {exc!r}\n".encode(), "text/plain")
            if response.delay or response.later or response.stream:
                self.busy = True
                asyncio.get_running_loop().create_task(self._write_async(response, method, headers, keep))
                return
            self._write(response, method == "HEAD", keep, headers)

    def _fail(self, status: int):
        self._write(Response(status, b"bad request\n", "text/plain"), False, False)

    @staticmethod
    def _headers(response: Response, length: int, keep: bool, etag: str | None) -> list[tuple[str, str]]:
        headers = [("Server", "nginx"), ("Date", _date())]
        if response.content_type and response.status != 304:
            headers.append(("Content-Type", response.content_type))
        headers += response.headers
        if etag:
            headers.append(("ETag", etag))
        headers += [("Content-Length", str(length)), ("Connection", "keep-alive" if keep else "close")]
        return headers

    def _write(self, response: Response, head_only: bool, keep: bool, request_headers: dict | None = None):
        if self.transport is None or self.transport.is_closing():
            return
        etag = None
        if response.cacheable and response.status == 200:
            etag = '"' + hashlib.blake2b(response.body, digest_size=8).hexdigest() + '"'
            if request_headers and request_headers.get("if-none-match") == etag:
                response.status, response.body = 304, b""
        head = _head_bytes(response.status, self._headers(response, len(response.body), keep, etag))
        self.transport.write(head if head_only else head + response.body)
        if not keep:
            self.closing = True
            self.transport.close()

    async def _write_async(self, response: Response, method: str, headers: dict, keep: bool):
        try:
            if response.delay:
                await asyncio.sleep(response.delay)
            if response.later:
                response.body, response.later = await response.later(), None
            if response.stream:
                await self._stream(response, response.stream, method == "HEAD", keep)
            else:
                self._write(response, method == "HEAD", keep, headers)
        except Exception as exc:
            self._write(Response(500, f"sandbox error: {exc!r}\n".encode(), "text/plain"), False, False)
        finally:
            self.busy = False
        if not self.closing:
            self._process()

    async def _stream(self, response: Response, stream: Callable[[], AsyncIterator[bytes]], head_only: bool,
                      keep: bool):
        # Set by connection_made, before the request that this responds to arrived.
        assert self.transport is not None
        self.transport.write(_head_bytes(response.status, self._headers(response, response.length or 0, keep, None)))
        if not head_only:
            async for chunk in stream():
                if self.closing:
                    return
                self.transport.write(chunk)
                await self.can_write.wait()
        if not keep:
            self.closing = True
            self.transport.close()


async def start(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> asyncio.base_events.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: HttpProtocol(handler), host, port, backlog=1024, reuse_address=True)


class ServerThread:
    """The server on its own event loop in a background thread (tests, benchmarks, the demo)."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0):
        self.handler, self.host, self.port = handler, host, port
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-server", daemon=True)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(start(self.handler, self.host, self.port))
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(server.wait_closed())
        self.loop.close()

    @property
    def proxy(self) -> str:
        return f"http://{self.host}:{self.port}"

    def __enter__(self) -> ServerThread:
        self._thread.start()
        self._started.wait(10)
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
