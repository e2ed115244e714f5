"""The HTML pages: each renders the API's object for the same request (Jinja2, autoescaped, no scripts)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from archive.queries.statuses import EXPLAINED, LABELS as STATUS_LABELS, ORDER as STATUS_ORDER
from archive.web import charts
from archive.web.api import Service
from archive.web.overview import KIND_LABELS, LEVEL_LABELS
from archive.web.params import (
    AgencyId,
    AsOfParam,
    RegionParam,
    ReportId,
    VersionParam,
    YearParam,
    given,
    matrix_params,
    matrix_query,
    search_params,
)

HERE = Path(__file__).parent
# The two static files, read once: no request names a file.
STYLE = (HERE / "static" / "dashboard.css").read_bytes()
ICON = (HERE / "static" / "favicon.svg").read_bytes()
# An agency's numbers over the years (archive.web.agency.FIGURES), drawn as two charts: counts of applications are
# tens to thousands, reviews and lawsuits a handful, so one scale would flatten the second.
FIGURE_CHARTS = {
    "applications": ("政府信息公开申请", [charts.Series("new_received", "新收申请"),
                                          charts.Series("processed", "办理完毕"),
                                          charts.Series("granted", "予以公开")]),
    "disputes": ("行政复议与行政诉讼", [charts.Series("reviews", "行政复议"), charts.Series("lawsuits", "行政诉讼")]),
}
SORT_LABELS = {"code": "区划代码", "name": "名称", "status": "状态", "published": "发布日期", "days_late": "逾期天数"}
STATE_MARKS = {"value": "", "zero": "", "blank": "空白", "not_applicable": "不适用", "unreadable": "无法识别",
               "absent": "无此格"}


def safe_href(url: str) -> bool:
    """Only web addresses become links: a `javascript:` or `data:` URL from a crawled page stays text."""
    return urlsplit(url.strip()).scheme.lower() in ("http", "https")


def matrix_link(**params: Any) -> str:
    return "/coverage?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True)
templates.globals.update(
    status_labels=STATUS_LABELS, status_order=STATUS_ORDER, level_labels=LEVEL_LABELS, kind_labels=KIND_LABELS,
    explained=EXPLAINED, level_order=[*LEVEL_LABELS, "—"],
    sort_labels=SORT_LABELS, state_marks=STATE_MARKS, safe_href=safe_href, matrix_link=matrix_link,
    percent=charts.percent)

pages = APIRouter(include_in_schema=False)


def render(name: str, code: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context), status_code=code)


@pages.get("/static/dashboard.css")
def style() -> Response:
    return Response(STYLE, media_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@pages.get("/static/favicon.svg")
def icon() -> Response:
    return Response(ICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@pages.get("/", response_class=HTMLResponse)
def overview_page(service: Service, year: YearParam = None, region: RegionParam = None,
                  as_of: AsOfParam = None) -> HTMLResponse:
    ov = service.overview(given(year), given(region), given(as_of))
    day = given(as_of)

    def region_link(key: str) -> str:
        if key.isdigit() and len(key) < 6:  # a province or a city: its own overview, by its cities or counties
            return "/?" + urlencode({k: v for k, v in (("year", ov.year), ("region", key), ("as_of", day)) if v})
        return matrix_link(year=ov.year, region=key if key.isdigit() else None, as_of=day)

    return render("overview.html", ov=ov, region_link=region_link,
                  level_chart=charts.stacked_bars(ov.by_level), region_chart=charts.stacked_bars(ov.by_region),
                  day_chart=charts.day_chart(ov.per_day, ov.deadlines), trend_chart=charts.trend_chart(ov.trend))


@pages.get("/coverage", response_class=HTMLResponse)
def coverage_page(service: Service, params: Annotated[dict[str, Any], Depends(matrix_params)]) -> HTMLResponse:
    query = matrix_query(params, service.years().default)
    mx = service.matrix(query)
    shown = {**params, "year": query.year}

    def page_link(page: int) -> str:
        return matrix_link(**{**shown, "page": page})

    return render("coverage.html", mx=mx, p=params, all_years=service.years().years or [query.year],
                  regions=service.region_options(query.region), page_link=page_link,
                  csv_link="/api/coverage.csv?" + urlencode({k: v for k, v in shown.items()
                                                              if v not in (None, "") and k != "page"}))


@pages.get("/agencies/{agency_id}", response_class=HTMLResponse)
def agency_page(service: Service, agency_id: AgencyId, as_of: AsOfParam = None) -> HTMLResponse:
    found = service.agency(agency_id, given(as_of))
    if found is None:
        raise HTTPException(404, "没有这个机关")
    rows = [f.model_dump() for f in found.figures]
    figure_charts = [(key, title, charts.grouped_bars(rows, series)) for key, (title, series) in FIGURE_CHARTS.items()
                     if any(r[s.key] is not None for r in rows for s in series)]
    return render("agency.html", d=found, figure_charts=figure_charts,
                  figure_series=[s for _, series in FIGURE_CHARTS.values() for s in series])


@pages.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(service: Service, report_id: ReportId, version: VersionParam = None,
                as_of: AsOfParam = None) -> HTMLResponse:
    found = service.report(report_id, given(version), given(as_of))
    if found is None:
        raise HTTPException(404, "没有这份报告或这个版本")
    return render("report.html", r=found)


@pages.get("/about", response_class=HTMLResponse)
def about_page() -> HTMLResponse:
    return render("about.html")


@pages.get("/statuses")
def statuses_page() -> RedirectResponse:
    """The statuses page became a section of the about page: old links still arrive there."""
    return RedirectResponse("/about#statuses", status_code=308)


@pages.get("/search", response_class=HTMLResponse)
def search_page(service: Service, params: Annotated[dict[str, Any], Depends(search_params)]) -> HTMLResponse:
    res = service.search(params["q"], params["page"], params["filters"], params["as_of"])
    shown = {"q": res.q, "year": res.year, "level": res.level, "region": res.region, "status": res.status,
             "as_of": params["as_of"]}

    def page_link(page: int) -> str:
        return "/search?" + urlencode({k: v for k, v in {**shown, "page": page}.items() if v not in (None, "")})

    return render("search.html", res=res, search_q=res.q, page_link=page_link, all_years=service.years().years,
                  regions=service.region_options(res.region), as_of=params["as_of"],
                  agencies_link=matrix_link(q=res.q, level=res.level, region=res.region))
