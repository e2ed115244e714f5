"""A crawl measured against a sandbox's ground truth: recall and precision of (agency, year) reports, requests
against the manifest's minimum, and extracted fields against the expected ones (issue 5's acceptance numbers)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from archive.ingest.identity import canonical_value, normalise_agency
from archive.ingest.stored_results import fields as packed_fields
from archive.store.db import Archive
from archive.store.models import T


@dataclass
class Measure:
    expected: int = 0
    found: int = 0
    archived: int = 0
    correct: int = 0
    false_reports: list[tuple[str, int]] = field(default_factory=list)
    missed: list[tuple[str, int]] = field(default_factory=list)
    missed_by_family: dict[str, int] = field(default_factory=dict)
    cells: int = 0
    cells_equal: int = 0
    # Of those, the cells of reports whose tables are published only as pictures (read by OCR and joined with their
    # page in the archive, archive.ingest.pictures): also shown apart, being the hardest.
    image_cells: int = 0
    image_cells_equal: int = 0
    minimum_requests: int = 0
    requests: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.archived if self.archived else 1.0

    @property
    def field_accuracy(self) -> float:
        return self.cells_equal / self.cells if self.cells else 1.0

    @property
    def cost(self) -> float:
        return self.requests / self.minimum_requests if self.minimum_requests else 0.0

    def lines(self) -> list[str]:
        return [f"recall    {self.recall:7.2%}  ({self.found} of {self.expected} reports of the requested years)",
                f"precision {self.precision:7.2%}  ({self.correct} of {self.archived} archived (agency, year) reports)",
                (f"fields    {self.field_accuracy:7.2%}  ({self.cells_equal} of {self.cells} cells as expected; "
                 f"of them in tables published as pictures: {self.image_cells_equal} of {self.image_cells})"),
                f"requests  {self.requests} = {self.cost:.2f} × the manifest minimum ({self.minimum_requests})"]


def archived_reports(archive: Archive) -> dict[tuple[str, int], dict]:
    """(agency, year) → the current version's fields, for every report in the archive."""
    ag, rep, ver, ex = T["agencies"], T["reports"], T["versions"], T["extractions"]
    query = (select(ag.c.name, rep.c.year, ex.c.body).join(rep, rep.c.agency_id == ag.c.id)
             .outerjoin(ver, ver.c.id == rep.c.current_version_id).outerjoin(ex, ex.c.id == ver.c.extraction_id))
    with archive.reader.connect() as conn:
        return {(normalise_agency(name), year): (packed_fields(body) if body else {})
                for name, year, body in conn.execute(query)}


def measure(archive: Archive, truth: dict, years: range, requests: int = 0) -> Measure:
    m = Measure(requests=requests)
    got = archived_reports(archive)
    keys = truth["field_keys"]
    family = {p["host"]: p["family"] for p in truth["portals"]}
    expected: set[tuple[str, int]] = set()
    for report in truth["reports"]:
        if report["year"] not in years:
            continue
        key = (normalise_agency(report["agency"]), report["year"])
        expected.add(key)
        m.expected += 1
        if key not in got:
            m.missed.append(key)
            host = report["documents"][0]["url"].split("/")[2]
            m.missed_by_family[family.get(host, "?")] = m.missed_by_family.get(family.get(host, "?"), 0) + 1
            continue
        m.found += 1
        values = report["versions"][-1].get("values")
        if values is None:
            continue
        fields = got[key]
        equal = sum(canonical_value(fields.get(name)) == canonical_value(value)
                    for name, value in zip(keys[report["template"]], values))
        m.cells += len(values)
        m.cells_equal += equal
        if report["form"] == "image":
            m.image_cells += len(values)
            m.image_cells_equal += equal
    in_years = {k: v for k, v in got.items() if k[1] in years}
    m.archived = len(in_years)
    m.correct = len(set(in_years) & expected)
    m.false_reports = sorted(set(in_years) - expected)
    m.minimum_requests = sum(1 for e in truth["minimum_requests"]
                             if e["years"] is None or set(e["years"]) & set(years))
    return m
