"""The request and response the sandbox's page generators see, independent of the server that carries them."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import parse_qsl

HTML = "text/html; charset=utf-8"
REASONS = {200: "OK", 206: "Partial Content", 301: "Moved Permanently", 302: "Found", 304: "Not Modified",
           400: "Bad Request", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
           412: "Precondition Failed",
           500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
           521: "Web Server Is Down"}


@dataclass
class Request:
    method: str
    host: str  # lower case, without port
    path: str  # without the query
    query_string: str
    headers: dict[str, str]  # lower-case names
    body: bytes = b""
    port: int | None = None  # as the URL or Host header gave it (None: the scheme's default)

    @property
    def target(self) -> str:
        return self.path + ("?" + self.query_string if self.query_string else "")

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.target}"

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    @cached_property
    def form(self) -> dict[str, str]:
        """Form fields of a POST, with the query string's as defaults (Hanweb's dataproxy mixes both)."""
        fields = dict(self.query)
        if self.body:
            fields.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return fields

    @cached_property
    def cookies(self) -> dict[str, str]:
        out = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = value
        return out


@dataclass(slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = HTML
    headers: list[tuple[str, str]] = field(default_factory=list)
    # A body too large to hold: its length and an async generator of chunks.
    stream: Callable[[], AsyncIterator[bytes]] | None = None
    length: int | None = None
    # A body still being made (a document rendered in a worker process).
    later: Callable[[], Awaitable[bytes]] | None = None
    delay: float = 0.0  # seconds to wait before answering (slow portals)
    cacheable: bool = False  # static-looking resources carry ETag and answer conditional requests


def html(text: str, status: int = 200, encoding: str = "utf-8", content_type: str | None = None) -> Response:
    body = text.encode(encoding, "xmlcharrefreplace")
    return Response(status, body, content_type or (HTML if encoding == "utf-8" else "text/html"), cacheable=True)


def json_response(data: object, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json;charset=UTF-8")


def xml_response(text: str) -> Response:
    return Response(200, text.encode("utf-8"), "text/xml;charset=UTF-8")


def redirect(location: str, status: int = 302) -> Response:
    return Response(status, b"", None, [("Location", location)])


def plain(text: str, status: int = 200) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8")
