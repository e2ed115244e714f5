"""`ReportSpec`: everything printed in one report, and the values a correct extractor must read from it.

A spec is the ground truth of a fixture: `cells` are the table cells exactly as printed, `values` what they mean
(written by whoever made the spec — a person transcribing a seed, or `variants` generating one — never by the
extractor under test).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from pipelines.schema import SECTION_HEADINGS, SECTION_KEYS, field_keys

Value = int | float | None
TEMPLATES = ("2021", "2019")


@dataclass
class ReportSpec:
    agency: str
    year: int  # the year reported on
    template: str  # "2021" | "2019": the table format printed, which need not match the year (laggards)
    title: str
    published: str | None = None  # ISO date a portal page shows; no document format states it otherwise
    cover_letter: str | None = None  # a 报送函 printed before the report, lines separated by "\n"
    preamble: list[str] = field(default_factory=list)  # paragraphs between the title and 一、总体情况
    headings: dict[str, str] = field(default_factory=lambda: dict(SECTION_HEADINGS))  # as printed, "## " included
    sections: dict[str, list[str]] = field(default_factory=dict)  # prose paragraphs; tables follow 二/三/四's prose
    cells: dict[str, str] = field(default_factory=dict)  # every key of the template → cell text, "" when blank
    values: dict[str, Value] = field(default_factory=dict)  # every key → what the cell means
    labels: dict[str, str] = field(default_factory=dict)  # printed table labels differing from the national form
    label_variants: list[str] = field(default_factory=list)  # names of the label quirks behind `labels`
    absent: list[str] = field(default_factory=list)  # keys whose table rows are not printed at all
    broken_rules: list[str] = field(default_factory=list)  # consistency rules (R1–R4) the numbers violate
    notes: str | None = None  # how a garbled or ambiguous source was read

    def validate(self) -> None:
        """Raise ValueError unless the spec is complete: a renderer must never guess a missing cell."""
        if self.template not in TEMPLATES:
            raise ValueError(f"template must be one of {TEMPLATES}, not {self.template!r}")
        keys = field_keys(self.template)
        for name, mapping in (("cells", self.cells), ("values", self.values)):
            missing, extra = set(keys) - set(mapping), set(mapping) - set(keys)
            if missing or extra:
                raise ValueError(f"{name}: missing {sorted(missing)[:3]}…, unexpected {sorted(extra)[:3]}")
        if set(self.headings) != set(SECTION_KEYS):
            raise ValueError(f"headings must name every section: {SECTION_KEYS}")
        if unknown := set(self.sections) - set(SECTION_KEYS):
            raise ValueError(f"unknown sections {sorted(unknown)}")
        if unknown := set(self.absent) - set(keys):
            raise ValueError(f"absent keys not in the template: {sorted(unknown)}")
        for key in self.absent:
            if self.cells[key] or self.values[key] is not None:
                raise ValueError(f"{key} is absent but has a cell or a value")

    def to_json(self) -> str:
        # The fields as they are: asdict's deep copy of every list and dict took most of the time.
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)}, ensure_ascii=False, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReportSpec:
        spec = cls(**json.loads(text))
        spec.validate()
        return spec
