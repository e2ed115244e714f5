"""The JSON API (described at /api/openapi.json) and the raw-file downloads."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, Response, StreamingResponse

from archive.queries.rollup import BY
from archive.web.params import (
    AgencyId,
    AsOfParam,
    CaptureId,
    RegionParam,
    ReportId,
    Sha256,
    VersionParam,
    YearParam,
    given,
    matrix_params,
    matrix_query,
    search_params,
)
from archive.web.schemas import AgencyDetail, Matrix, Overview, ProvinceLevel, ReportDetail, SearchResults, YearList
from archive.web.service import Dashboard

# Downloads are never rendered by the browser, whatever they contain; `sandbox` disarms them if one ever is.
DOWNLOAD_HEADERS = {"Content-Security-Policy": "sandbox; default-src 'none'", "X-Content-Type-Options": "nosniff"}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no such item"}}

api = APIRouter(prefix="/api", tags=["dashboard"])
downloads = APIRouter(tags=["files"])


def dashboard(request: Request) -> Dashboard:
    return request.app.state.dashboard


Service = Annotated[Dashboard, Depends(dashboard)]
MatrixParams = Annotated[dict[str, Any], Depends(matrix_params)]


@api.get("/years", response_model=YearList, summary="Years reported on in the archive")
def get_years(service: Service) -> YearList:
    return service.years()


@api.get("/overview", response_model=Overview, summary="A year's coverage by status, level and region")
def get_overview(service: Service, year: YearParam = None, region: RegionParam = None,
                 as_of: AsOfParam = None) -> Overview:
    return service.overview(given(year), given(region), given(as_of))


@api.get("/rollup", response_model=list[ProvinceLevel],
         summary="A year's national roll-up by province, level or both: agencies counted, portals, statuses")
def get_rollup(service: Service, year: YearParam = None, as_of: AsOfParam = None,
               by: Literal[BY] = "province") -> list[ProvinceLevel]:  # type: ignore[valid-type]
    return service.rollup(given(year), by, given(as_of))


@api.get("/coverage", response_model=Matrix, summary="The coverage matrix: agencies × years, filtered and paged")
def get_coverage(service: Service, params: MatrixParams) -> Matrix:
    return service.matrix(matrix_query(params, service.years().default))


@api.get("/coverage.csv", summary="Every row of the filtered matrix as CSV (all pages, in the view's order)",
         response_class=StreamingResponse,
         responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def get_coverage_csv(service: Service, params: MatrixParams) -> StreamingResponse:
    query = matrix_query(params, service.years().default)
    return StreamingResponse(service.matrix_csv(query), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="coverage-{query.year}.csv"', **DOWNLOAD_HEADERS})


@api.get("/agencies/{agency_id}", response_model=AgencyDetail, responses=NOT_FOUND,
         summary="An agency's reports year by year and its portals' crawl health")
def get_agency(service: Service, agency_id: AgencyId, as_of: AsOfParam = None) -> AgencyDetail:
    found = service.agency(agency_id, given(as_of))
    if found is None:
        raise HTTPException(404, "no such agency")
    return found


@api.get("/reports/{report_id}", response_model=ReportDetail, responses=NOT_FOUND,
         summary="A report: tables, prose, checks, sources and the diff against the previous version")
def get_report(service: Service, report_id: ReportId, version: VersionParam = None,
               as_of: AsOfParam = None) -> ReportDetail:
    found = service.report(report_id, given(version), given(as_of))
    if found is None:
        raise HTTPException(404, "no such report or version")
    return found


@api.get("/search", response_model=SearchResults,
         summary="Agencies by name, reports by full text: filtered by year, level, region and status, paged")
def get_search(service: Service, params: Annotated[dict[str, Any], Depends(search_params)]) -> SearchResults:
    return service.search(params["q"], params["page"], params["filters"], params["as_of"])


@downloads.get("/raw/{sha256}", response_class=FileResponse, responses={
    **NOT_FOUND, 200: {"description": "the file's bytes, as an attachment, with the type recorded when fetched",
                       "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
    summary="A stored file, by its sha256")
def get_raw(service: Service, sha256: Sha256) -> FileResponse:
    found = service.blob(sha256)
    if found is None:
        raise HTTPException(404, "no such file")
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename,
                        content_disposition_type="attachment", headers=DOWNLOAD_HEADERS)


@downloads.get("/pictures/{sha256}", response_class=FileResponse, responses={
    **NOT_FOUND, 200: {"description": "a stored picture (PNG, JPEG, GIF, WebP or BMP by its bytes), shown inline",
                       "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}},
    summary="A picture of tables, to show beside the cells read from it")
def get_picture(service: Service, sha256: Sha256) -> FileResponse:
    found = service.picture(sha256)
    if found is None:
        raise HTTPException(404, "no such picture")
    return FileResponse(found.path, media_type=found.media_type, headers={**DOWNLOAD_HEADERS,
                                                                          "Cache-Control": "max-age=86400"})


@downloads.get("/warc/{capture_id}", responses={
    **NOT_FOUND, 200: {"description": "the capture's WARC record (one gzip member: a .warc.gz file)",
                       "content": {"application/warc": {"schema": {"type": "string", "format": "binary"}}}}},
    summary="A capture's WARC record")
def get_warc(service: Service, capture_id: CaptureId) -> Response:
    found = service.warc(capture_id)
    if found is None:
        raise HTTPException(404, "no WARC record for this capture")
    return Response(found.data, media_type="application/warc", headers={
        "Content-Disposition": f'attachment; filename="{found.filename}"', **DOWNLOAD_HEADERS})

