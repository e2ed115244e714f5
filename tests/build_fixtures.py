"""Build the fixture corpus: `python -m tests.build_fixtures` writes tests/fixtures/docs/.

Every document comes with `<file>.expected.json`, written from the spec that produced the document (the seeds'
hand-transcribed specs in tests/fixtures/seeds/, or generated variants) and never from the extractor. A golden
whose content is unchanged keeps its `reviewed` flag; a new or changed one gets `"reviewed": false`.
"""
from __future__ import annotations

import io
import json
import random
import re
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pypdf

from sandbox.reports.excel_book import SheetStyle
from sandbox.reports.html_page import HtmlStyle, render_article
from sandbox.reports.libreoffice import convert
from sandbox.reports.lookalikes import REASONS, lookalike
from sandbox.reports.ofd_doc import pdf_to_ofd
from sandbox.reports.render import Request, Style, render_all
from sandbox.reports.seeds import seed_specs
from sandbox.reports.site import site_for
from sandbox.reports.spec import ReportSpec
from sandbox.reports.text_doc import TextStyle
from sandbox.reports.variants import Plan, variant
from sandbox.reports.word_doc import render_article_docx

HERE = Path(__file__).parent
DOCS = HERE / "fixtures" / "docs"
GOLDEN = ".expected.json"


@dataclass
class Entry:
    name: str  # file name under docs/
    expected: dict[str, Any]  # the golden, without `reviewed`
    request: Request | None = None  # rendered by the sandbox…
    data: bytes | None = None  # …or made here


def report_golden(spec: ReportSpec, fmt: str) -> dict[str, Any]:
    # Only a portal page states a publication date; a spreadsheet has no prose, so a year missing from its
    # title is not stated anywhere in it.
    year = spec.year if fmt not in ("xlsx", "xls") or str(spec.year) in spec.title else None
    return {"format": fmt, "is_report": True, "agency": spec.agency, "year": year, "template": spec.template,
            "title": spec.title, "published": spec.published if fmt == "html" else None,
            "fields": spec.values, "broken_rules": spec.broken_rules}


def report(name: str, spec: ReportSpec, fmt: str, style: Style = None) -> Entry:
    return Entry(name, report_golden(spec, fmt), Request(spec, fmt, style))


# --- the five seeds in every format ------------------------------------------------------------------------------

# (editor, encoding, date style) of each seed's two pages and its GBK page with a wrong or missing declaration.
SEED_PAGES = {
    0: (("plain", "utf-8", "date"), ("word", "utf-8", "datetime"), ("plain", "gbk-declared-utf-8", "date")),
    1: (("wps", "utf-8", "chinese"), ("layout", "utf-8", "date"), ("layout", "gbk-declared-latin1", "date")),
    2: (("word", "utf-8", "date"), ("layout", "utf-8", "datetime"), ("word", "gbk-undeclared", "chinese")),
    3: (("plain", "utf-8", "datetime"), ("wps", "utf-8", "date"), ("wps", "gbk-declared-utf-8", "datetime")),
    4: (("layout", "utf-8", "chinese"), ("word", "utf-8", "date"), ("plain", "gbk-declared-latin1", "date")),
}


def seed_entries(seeds: dict[int, ReportSpec]) -> list[Entry]:
    entries = []
    for n, spec in seeds.items():
        stem = f"seed{n:03d}"
        # The seeds state no publication date; their pages get one, and their goldens say so.
        page_spec = replace(spec, published=spec.published or f"{spec.year + 1}-01-{12 + 3 * n:02d}")
        for i, (editor, encoding, date_style) in enumerate(SEED_PAGES[n]):
            suffix = "gbk" if i == 2 else editor
            entries.append(report(f"{stem}.{suffix}.html", page_spec, "html", HtmlStyle(editor, encoding, date_style)))
        entries.append(report(f"{stem}.txt", spec, "text", TextStyle("rows" if n in (1, 3) else "cells")))
        for fmt in ("docx", "pdf", "doc", "wps"):
            entries.append(report(f"{stem}.{fmt}", spec, fmt))
        sheets = SheetStyle(per_table=n in (1, 3))
        entries += [report(f"{stem}.xlsx", spec, "xlsx", sheets), report(f"{stem}.xls", spec, "xls", sheets)]
    return entries


# --- generated variants --------------------------------------------------------------------------------------------

H = HtmlStyle
# (format, style, plan); seeds of the plans are fixed so the corpus never changes by accident.
VARIANTS: list[tuple[str, Style, Plan]] = [
    ("html", H("plain"), Plan(1)),
    ("html", H("word", "gbk-declared-utf-8"), Plan(2, label_quirks=("spaced_chars", "halfwidth_brackets"))),
    ("html", H("wps", date_style="datetime"), Plan(3, label_quirks=("line_breaks", "normative_docs_2021"),
                                                    value_quirks=("thousands",))),
    ("html", H("layout", "gbk-undeclared", "chinese"), Plan(4, label_quirks=("in_force_cumulative", "issued_with_year"),
                                                            value_quirks=("na_dash",))),
    ("html", H("plain", "gbk-declared-latin1"), Plan(5, break_rule="R1")),
    ("html", H("word"), Plan(6, break_rule="R2", value_quirks=("totals_only",))),
    ("html", H("wps"), Plan(7, break_rule="R3", headings="long")),
    ("html", H("layout"), Plan(8, break_rule="R4", value_quirks=("na_dash",))),
    ("text", TextStyle("cells"), Plan(9, label_quirks=("arabic_numbering", "overdue_fee_anzhao"),
                                      value_quirks=("fee_decimal",))),
    ("text", TextStyle("rows"), Plan(10, label_quirks=("spaced_chars",), headings="markdown")),
    ("docx", None, Plan(11, label_quirks=("regulations_county",), value_quirks=("na_slash",), cover_letter=True)),
    ("docx", None, Plan(12, label_quirks=("fullwidth_dot",), headings="long", break_rule="R2")),
    ("pdf", None, Plan(13, label_quirks=("line_breaks",), value_quirks=("thousands",))),
    ("pdf", None, Plan(14, break_rule="R1", headings="numbered")),
    ("doc", None, Plan(15, label_quirks=("halfwidth_brackets",), value_quirks=("na_text",))),
    ("wps", None, Plan(16, label_quirks=("spaced_chars",), value_quirks=("review_blank",))),
    ("xlsx", SheetStyle(), Plan(17, value_quirks=("totals_only",))),
    ("xlsx", SheetStyle(per_table=True), Plan(18, break_rule="R3")),
    ("xls", SheetStyle(), Plan(19, label_quirks=("normative_docs_2021",), value_quirks=("fee_decimal",))),
    ("pdf", None, Plan(20, year_in_title=False, cover_letter=True)),
    ("html", H("plain", date_style="chinese"), Plan(21, year_in_title=False)),
    ("docx", None, Plan(22, headings="markdown")),
    ("html", H("plain"), Plan(23, "2019", label_quirks=("caption_rows",))),
    ("html", H("word", "gbk-declared-utf-8"), Plan(24, "2019", label_quirks=("line_breaks",),
                                                    value_quirks=("amount_yuan",))),
    ("html", H("wps", date_style="datetime"), Plan(25, "2019", label_quirks=("caption_rows",), break_rule="R1")),
    ("text", TextStyle("cells"), Plan(26, "2019", label_quirks=("arabic_numbering",), value_quirks=("na_slash",))),
    ("docx", None, Plan(27, "2019", label_quirks=("caption_rows",), cover_letter=True)),
    ("pdf", None, Plan(28, "2019", value_quirks=("amount_yuan",), break_rule="R4")),
    ("doc", None, Plan(29, "2019", label_quirks=("spaced_chars",))),
    ("wps", None, Plan(30, "2019", label_quirks=("halfwidth_brackets",), break_rule="R2")),
    ("xlsx", SheetStyle(), Plan(31, "2019", value_quirks=("amount_yuan", "thousands"))),
    ("xls", SheetStyle(per_table=True), Plan(32, "2019", value_quirks=("review_blank",))),
    # Laggards: reports on 2022–2024 still in the 2019 format.
    ("html", H("plain"), Plan(33, "2019", 2023)),
    ("docx", None, Plan(34, "2019", 2023, label_quirks=("caption_rows",))),
    ("pdf", None, Plan(35, "2019", 2023, break_rule="R3")),
    ("text", TextStyle("rows"), Plan(36, "2019", 2023)),
    ("wps", None, Plan(37, "2019", 2023, label_quirks=("line_breaks",))),
    ("html", H("layout", "gbk-declared-utf-8"), Plan(38, "2019", 2022)),
    ("xlsx", SheetStyle(per_table=True), Plan(39, "2019", 2024)),
    ("doc", None, Plan(40, break_rule="R1", value_quirks=("totals_only",))),
]
_EXT = {"text": "txt"}


def variant_entries(seeds: dict[int, ReportSpec]) -> list[Entry]:
    bases = list(seeds.values())
    entries = []
    for fmt, style, plan in VARIANTS:
        spec = variant(bases[plan.seed % len(bases)], plan)
        entries.append(report(f"gen{plan.seed:02d}-{plan.template}.{_EXT.get(fmt, fmt)}", spec, fmt, style))
    return entries


# --- look-alikes and unreadable files ---------------------------------------------------------------------------

def lookalike_entries() -> list[Entry]:
    agency, year = "岚皋县行政审批服务局", 2023
    entries = []
    for kind, style in (("interpretation", H("plain")), ("website_report", H("layout", "gbk-declared-utf-8")),
                        ("notice", H("word", date_style="datetime"))):
        article = lookalike(kind, agency, year)
        golden = {"format": "html", "is_report": False, "reason": REASONS[kind], "title": article.title}
        entries.append(Entry(f"lookalike-{kind}.html", golden,
                             data=render_article(article, style, site_for(agency))))
    for kind in ("rule_of_law", "cover_letter"):
        article = lookalike(kind, agency, year)
        golden = {"format": "docx", "is_report": False, "reason": REASONS[kind], "title": article.title}
        entries.append(Entry(f"lookalike-{kind}.docx", golden,
                             data=render_article_docx(article, datetime(year + 1, 1, 15, 9, 0, 0))))
    return entries


def _same_id_twice(pdf: bytes) -> bytes:
    # pypdf draws the second half of /ID at random; the key derives from the first half only.
    return re.sub(rb"(/ID \[ <([0-9a-fA-F]+)> <)[0-9a-fA-F]+(>)", lambda m: m.group(1) + m.group(2) + m.group(3), pdf)


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="nianbao-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return _same_id_twice(out.getvalue())


def hard_entries(seed_pdf: bytes, seed_docx: bytes, seed_ofd: bytes, seed_spec: ReportSpec) -> list[Entry]:
    garbage = random.Random(7).randbytes(6000)
    error = lambda fmt, reason: {"format": fmt, "error": True, "reason": reason}  # noqa: E731
    return [
        Entry("broken-corrupt.pdf", error("pdf", "corrupt PDF"), data=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + garbage),
        Entry("broken-encrypted.pdf", error("pdf", "encrypted PDF (password required)"),
              data=encrypted(seed_pdf, "nianbao")),
        # Restrictions without a user password: every reader opens it, so it is a report like any other.
        Entry("seed000.owner-encrypted.pdf", report_golden(seed_spec, "pdf"), data=encrypted(seed_pdf, "")),
        Entry("broken-truncated.docx", error("docx", "truncated DOCX (not a complete zip)"),
              data=seed_docx[: len(seed_docx) // 2]),
        Entry("broken-empty.pdf", error(None, "empty file"), data=b""),
        Entry("broken-truncated.ofd", error("ofd", "truncated OFD (not a complete zip)"),
              data=seed_ofd[: len(seed_ofd) // 2]),
    ]


# --- OFD, made from the PDF renderings ----------------------------------------------------------------------------

# The seeds and every generated PDF: both table layouts, split tables, cover letters, the 2019 form.
OFD_SOURCES = ("seed000", "seed001", "seed002", "seed003", "seed004", "gen13-2021", "gen14-2021", "gen20-2021",
               "gen28-2019", "gen35-2019")


def ofd_entries(by_name: dict[str, Entry]) -> list[Entry]:
    entries = []
    for stem in OFD_SOURCES:
        source = by_name[f"{stem}.pdf"]
        entries.append(Entry(f"{stem}.ofd", {**source.expected, "format": "ofd"},
                             data=pdf_to_ofd(source.data)))
    return entries


# --- writing ------------------------------------------------------------------------------------------------------

def golden_text(expected: dict[str, Any], old: Path) -> str:
    reviewed: Any = False  # a person's mark ("who, when"); kept verbatim while the content stays the same
    if old.exists():
        previous = json.loads(old.read_text(encoding="utf-8"))
        mark = previous.pop("reviewed", False)
        reviewed = mark if previous == expected else False
    return json.dumps({**expected, "reviewed": reviewed}, ensure_ascii=False, indent=2) + "\n"


def write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.write_bytes(data)
    return True


def build() -> list[Entry]:
    seeds = seed_specs()
    entries = seed_entries(seeds) + variant_entries(seeds)
    rendered = render_all([e.request for e in entries])
    for entry, data in zip(entries, rendered):
        entry.data = data
    by_name = {e.name: e for e in entries}
    looks = lookalike_entries()
    pdfs = convert({"rule_of_law": looks[3].data}, "pdf")
    looks.append(Entry("lookalike-rule_of_law.pdf", {**looks[3].expected, "format": "pdf"}, data=pdfs["rule_of_law"]))
    ofds = ofd_entries(by_name)
    entries += looks + ofds + hard_entries(by_name["seed000.pdf"].data, by_name["seed000.docx"].data,
                                           ofds[0].data, seeds[0])
    return entries


def main() -> int:
    started = time.monotonic()
    DOCS.mkdir(parents=True, exist_ok=True)
    entries = build()
    names = {e.name for e in entries} | {e.name + GOLDEN for e in entries}
    if len(names) != 2 * len(entries):
        raise SystemExit("duplicate fixture names")
    changed = 0
    for entry in entries:
        changed += write_if_changed(DOCS / entry.name, entry.data)
        golden = DOCS / (entry.name + GOLDEN)
        changed += write_if_changed(golden, golden_text(entry.expected, golden).encode("utf-8"))
    stale = [p for p in DOCS.iterdir() if p.name not in names]
    for path in stale:
        path.unlink()
    size = sum((DOCS / n).stat().st_size for n in names)
    print(f"{len(entries)} documents, {changed} files written, {len(stale)} removed, "
          f"{size / 1e6:.1f} MB, {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
