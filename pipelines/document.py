"""Records passed between extraction stages.

A format reader turns bytes into a `Document` (prose, tables as grids, metadata hints); the mapping, section and
metadata stages turn a `Document` into a `Report`, the common-schema record of `docs/schema.md`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Cell:
    """One position of an expanded table grid.

    A merged cell occupies several positions; every position carries the merged cell's text, and `origin` is the
    (row, col) of its top-left position. A position whose origin is itself holds the cell; the others are copies.
    """

    text: str
    origin: tuple[int, int]


@dataclass
class Grid:
    """A table as a rectangular grid of cells, merged cells expanded (rowspan/colspan kept through `Cell.origin`)."""

    rows: list[list[Cell]]
    source: str = ""  # where the table came from, e.g. "html table 3", "pdf pages 2-3"

    def is_copy(self, r: int, c: int) -> bool:
        return self.rows[r][c].origin != (r, c)

    def texts(self) -> list[list[str]]:
        return [[cell.text for cell in row] for row in self.rows]

    @classmethod
    def from_texts(cls, rows: list[list[str]], source: str = "") -> Grid:
        """A grid without merged cells (text renderings, simple tables); short rows are padded with blanks."""
        width = max((len(r) for r in rows), default=0)
        return cls(
            [[Cell(r[c] if c < len(r) else "", (i, c)) for c in range(width)] for i, r in enumerate(rows)],
            source,
        )


@dataclass
class Link:
    url: str
    text: str


@dataclass
class Document:
    """What a format reader found in one input: prose without the tables, the tables, and metadata hints."""

    format: str  # html | pdf | docx | doc | wps | xlsx | xls | text | image | ofd
    text: str  # main prose in reading order, one paragraph per line, tables left out
    grids: list[Grid] = field(default_factory=list)
    title: str | None = None  # a title the container states (HTML <title>/meta, document properties)
    published: str | None = None  # ISO date the container states (meta PubDate, 发布日期 line)
    meta: dict[str, str] = field(default_factory=dict)  # gov meta tags and document properties
    links: list[Link] = field(default_factory=list)  # attachment and other links (HTML only)
    warnings: list[str] = field(default_factory=list)


class ExtractionError(Exception):
    """The input cannot be read at all (corrupt, encrypted, unsupported); the message says why for the user."""


# Why a document failed: its reader could not read it, a limit on what one document may cost was reached
# (pipelines/limits.py), or its worker process ran out of memory, out of time, or crashed (pipelines/workers.py).
FAILURE_KINDS = ("unreadable", "limit", "memory", "timeout", "crashed")


@dataclass
class Failure:
    """The `nianbao extract` result for an input that cannot be read."""

    source: str
    sha256: str
    error: str
    format: str | None = None
    kind: str = "unreadable"  # one of FAILURE_KINDS

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "sha256": self.sha256, "format": self.format, "error": self.error,
                "error_kind": self.kind}


@dataclass
class Check:
    rule: str
    ok: bool
    where: str
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "ok": self.ok, "where": self.where, "detail": self.detail}


@dataclass
class Report:
    """The common-schema record for one input document (the `nianbao extract` JSON)."""

    source: str
    sha256: str
    format: str
    is_report: bool
    reason: str | None = None
    agency: str | None = None
    year: int | None = None
    template: str | None = None  # "2021" | "2019" | "legacy"
    title: str | None = None
    published: str | None = None
    sections: dict[str, str] = field(default_factory=dict)
    fields: dict[str, float | int | None] = field(default_factory=dict)
    raw: dict[str, str | None] = field(default_factory=dict)
    # How each field's row was found: "label" (its label), "near_label" (a near-miss label, or its position in the
    # form), "arithmetic" (the only row left where the consistency rules hold); fields with no cell are not listed.
    placement: dict[str, str] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "format": self.format,
            "is_report": self.is_report,
            "reason": self.reason,
            "agency": self.agency,
            "year": self.year,
            "template": self.template,
            "title": self.title,
            "published": self.published,
            "sections": self.sections,
            "fields": self.fields,
            "raw": self.raw,
            "placement": self.placement,
            "checks": [c.as_dict() for c in self.checks],
            "warnings": self.warnings,
        }
