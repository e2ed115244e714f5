"""The dashboard application: the API, the pages, and the headers every response carries.

Nothing here executes or embeds what the archive holds: pages have no scripts (the Content-Security-Policy forbids
any; only the API's documentation page runs the Swagger UI files served from this server), every value is escaped
by the templates, downloads are attachments. Requests must name a loopback host unless the server was told
otherwise, so that a web page elsewhere cannot reach it by rebinding a DNS name.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.web.api import api, downloads
from archive.web.bulk import BulkExports, bulk, default_folder
from archive.web.docs import docs
from archive.web.pages import pages, render
from archive.web.service import Dashboard

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Paths whose errors are JSON: the API and the downloads; the pages answer with an HTML page.
JSON_PATHS = ("/api/", "/raw/", "/warc/", "/pictures/")


class SecurityHeaders:
    """Adds HEADERS to every response that does not set its own (downloads set a stricter policy)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PATHS)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if _wants_json(request):
        return await http_exception_handler(request, exc)
    title = {404: "找不到", 405: "不支持的请求方法"}.get(exc.status_code, "请求错误")
    return render("error.html", code=exc.status_code, status=exc.status_code, title=title,
                  details=[str(exc.detail)])


async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
    if _wants_json(request):
        return await request_validation_exception_handler(request, exc)
    details = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()]
    return render("error.html", code=400, status=400, title="参数有误", details=details)


def create_app(dashboard: Dashboard, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        dashboard.warm()
        yield
        dashboard.close()

    app = FastAPI(title="nianbao dashboard", version="1", openapi_url="/api/openapi.json", docs_url=None,
                  redoc_url=None, lifespan=lifespan,
                  description="Read-only view of a nianbao archive: who published their annual report on government "
                              "information disclosure, when, and what it says.")
    app.state.dashboard = dashboard
    app.state.bulk = BulkExports(dashboard.engine, default_folder(dashboard.archive.url))
    app.include_router(api)
    app.include_router(downloads)
    app.include_router(bulk)
    app.include_router(docs)
    app.include_router(pages)
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(SecurityHeaders)
    return app
