"""Request parameters, validated once for the API and the pages alike.

HTML forms send an empty string for "any" (a select left at its first option), so every optional filter also
takes "" — said so in the OpenAPI description — and reads it as absent. Anything else outside its range is a 422
(API) or a 400 page, never an error deeper down: years within the calendar's reach, ids within 64 bits, no NUL
characters (PostgreSQL refuses them in text).
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Path, Query
from pydantic import BeforeValidator, Field

from archive.queries.statuses import Status
from archive.registry.agencies import KINDS, LEVELS
from archive.web.matrix import SORTS, MatrixQuery
from archive.web.search import Filters

MAX_ID = 2**62
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
NO_NUL = r"^[^\x00]*$"

Blank = Literal[""]
Level = Literal[LEVELS]  # type: ignore[valid-type]
Kind = Literal[KINDS]  # type: ignore[valid-type]
_STATUS_NAMES = tuple(s.value for s in Status)
StatusName = Literal[_STATUS_NAMES]  # type: ignore[valid-type]
SortName = Literal[SORTS]  # type: ignore[valid-type]
# Constraints sit on the value's own type: on an optional parameter they would also be applied to None and "".
Year = Annotated[int, Field(ge=1990, le=2200)]
Region = Annotated[str, Field(pattern=r"^[0-9]{2,12}$")]
Version = Annotated[int, Field(ge=1, le=100_000)]
Text = Annotated[str, Field(max_length=100, pattern=NO_NUL)]

YearParam = Annotated[Year | Blank | None, Query(description="the year reported on (default: the latest)")]
RegionParam = Annotated[Region | Blank | None, Query(description="division-code prefix: 33 Zhejiang, 3301 Hangzhou")]
# YYYY-MM-DD only: pydantic would also read a number as a Unix time.
Day = Annotated[date, BeforeValidator(lambda v: v if not isinstance(v, str) or ISO_DAY.match(v) else _not_a_day(v))]
AsOfParam = Annotated[Day | Blank | None, Query(
    description="the day statuses are computed for, YYYY-MM-DD (default: today): before a deadline nothing is late")]
VersionParam = Annotated[Version | Blank | None, Query(description="version number (default: the current one)")]
AgencyId = Annotated[int, Path(ge=1, le=MAX_ID)]
ReportId = Annotated[int, Path(ge=1, le=MAX_ID)]
CaptureId = Annotated[int, Path(ge=1, le=MAX_ID)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]
SearchText = Annotated[str, Query(max_length=100, pattern=NO_NUL)]

V = TypeVar("V")


def _not_a_day(value: str) -> date:
    raise ValueError(f"expected a day as YYYY-MM-DD, got {value!r}")


def given(value: V | Literal[""] | None) -> V | None:
    """A parameter's value, None when absent or left blank."""
    return None if value == "" else value


def matrix_params(
    year: YearParam = None,
    region: RegionParam = None,
    level: Annotated[Level | Blank | None, Query()] = None,
    kind: Annotated[Kind | Blank | None, Query()] = None,
    status: Annotated[StatusName | Blank | None, Query(description="status in `year`")] = None,
    q: Annotated[Text | None, Query(description="part of the agency's name")] = None,
    sort: SortName = "code",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    as_of: AsOfParam = None,
) -> dict[str, Any]:
    """The matrix's parameters as given, blanks as None (year too: the service fills in the latest)."""
    return {"year": given(year), "region": given(region), "level": given(level), "kind": given(kind),
            "status": given(status), "q": given(q), "sort": sort, "order": order, "page": page,
            "per_page": per_page, "as_of": given(as_of)}


def matrix_query(params: dict[str, Any], default_year: int) -> MatrixQuery:
    return MatrixQuery(year=params["year"] or default_year, region=params["region"], level=params["level"],
                       kind=params["kind"], status=params["status"], q=params["q"], sort=params["sort"],
                       descending=params["order"] == "desc", page=params["page"], per_page=params["per_page"],
                       as_of=params["as_of"])


def search_params(
    q: SearchText = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    year: Annotated[Year | Blank | None, Query(description="reports of this year only")] = None,
    level: Annotated[Level | Blank | None, Query(description="agencies of this level only")] = None,
    region: RegionParam = None,
    status: Annotated[StatusName | Blank | None, Query(description="reports with this coverage status only")] = None,
    as_of: AsOfParam = None,
) -> dict[str, Any]:
    """The search's parameters, blanks as None."""
    return {"q": q, "page": page, "as_of": given(as_of), "filters": Filters(
        year=given(year), level=given(level), region=given(region), status=given(status))}
