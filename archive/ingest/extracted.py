"""One blob's extraction result as the archive uses it: typed, whichever way it arrived.

A result reaches the archive as the pipeline's `Report` or `Failure` (a crawl, `nianbao import`, a re-parse) or is
read back from the `extractions` table (`archive.ingest.stored_results` packs and unpacks it). Both become an
`Extracted` at once, so ingest, identity, version chains and the first-version path read attributes, never string keys;
the dictionary is made only to be serialised (`as_dict`, which `stored_results.pack` stores and which pictures hand to
the pipeline), and for a pipeline result only then.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pipelines.document import Failure, Report

# What ingest counts for a result that files under no report (`Ingestor`'s outcomes of the same names).
Unfiled = Literal["failed", "not_report", "unattributed"]


def published_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Extracted:
    format: str | None
    is_report: bool
    reason: str | None = None  # why not a report (or the kind of reading: a table picture)
    error: str | None = None  # the input could not be read (a `Failure`)
    error_kind: str | None = None  # pipelines.document.FAILURE_KINDS
    agency: str | None = None
    year: int | None = None
    template: str | None = None
    title: str | None = None
    published: str | None = None  # ISO date, as the document states it
    fields: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    failed_checks: list[dict[str, Any]] = field(default_factory=list)  # the S3/S4 checks that did not hold
    pictures: list[dict[str, str]] | None = None  # a page read with its table pictures: those read (pictures.py)
    source: Report | Failure | dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, result: Report | Failure, pictures: list[dict[str, str]] | None = None) -> Extracted:
        """The pipeline's result, as it comes (a `Report`, a `PictureReport`, a `Failure`)."""
        if isinstance(result, Failure):
            return cls(result.format, False, error=result.error, error_kind=result.kind, source=result)
        return cls(result.format, result.is_report, result.reason, None, None, result.agency, result.year,
                   result.template, result.title, result.published, result.fields, result.sections,
                   [c.as_dict() for c in result.checks if not c.ok], pictures, result)

    @classmethod
    def stored(cls, result: dict[str, Any]) -> Extracted:
        """A result read back from its serialised form (`stored_results.unpack`, or a `Report.as_dict()`)."""
        return cls(result.get("format"), bool(result.get("is_report")), result.get("reason"), result.get("error"),
                   result.get("error_kind"), result.get("agency"), result.get("year"), result.get("template"),
                   result.get("title"), result.get("published"), result.get("fields") or {},
                   result.get("sections") or {}, [c for c in result.get("checks") or [] if not c.get("ok")],
                   result.get("pictures"), result)

    def as_dict(self) -> dict[str, Any]:
        """The serialised result: what the pipeline's `as_dict` gives (with the pictures a joint reading read)."""
        if isinstance(self.source, dict):
            return self.source
        if self.source is None:
            raise ValueError("an Extracted built field by field has no serialised form")
        out = self.source.as_dict()
        return out if self.pictures is None else {**out, "pictures": self.pictures}

    @property
    def published_on(self) -> date | None:
        return published_date(self.published)

    def unfiled(self) -> Unfiled:
        """Why a result with no identity files under no report."""
        return "failed" if self.error else "not_report" if not self.is_report else "unattributed"
