"""The API's documentation pages, offline: Swagger UI from the files the `fastapi-offline` package bundles.

FastAPI's own /docs loads Swagger UI from a CDN and starts it with an inline script, which the dashboard's
Content-Security-Policy forbids (and a machine without the internet cannot load). Here the page loads the bundled
script and stylesheet and our own start-up script, all from this server; only this page may run scripts.
"""
from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS = Path(str(files("fastapi_offline").joinpath("static")))
START = (Path(__file__).parent / "static" / "swagger-start.js").read_bytes()
# Swagger UI sets inline styles and draws its icons from data: URLs; it fetches the OpenAPI document.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
CACHE = {"Cache-Control": "max-age=86400"}

docs = APIRouter(prefix="/api/docs", include_in_schema=False)


@docs.get("", response_class=HTMLResponse)
def swagger_page() -> HTMLResponse:
    from archive.web.pages import render  # the pages' template environment (pages imports nothing of this module)

    response = render("docs.html")
    response.headers["Content-Security-Policy"] = POLICY
    return response


@docs.get("/swagger-ui-bundle.js")
def swagger_script() -> FileResponse:
    return FileResponse(ASSETS / "swagger-ui-bundle.js", media_type="text/javascript; charset=utf-8", headers=CACHE)


@docs.get("/swagger-ui.css")
def swagger_style() -> FileResponse:
    return FileResponse(ASSETS / "swagger-ui.css", media_type="text/css; charset=utf-8", headers=CACHE)


@docs.get("/start.js")
def start_script() -> Response:
    return Response(START, media_type="text/javascript; charset=utf-8", headers=CACHE)
