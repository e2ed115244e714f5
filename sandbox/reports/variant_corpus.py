"""The variant corpus: the fixture reports (the seed specs) redrawn with each way real reports depart from the national
form (issue 17), in HTML, DOCX and PDF, each with the golden its original gives.

A class changes a spec (labels, cells) and/or the tables drawn from it (columns swapped, added or removed, a table
split over a page break, （六）其他处理 left undivided). Goldens come from the original's values: a class that
rewrites a number changes the value with it (the golden is what is written), and a cell the class removes from the
document is expected null. Deterministic: the same class and base always give the same bytes.

    python -m sandbox.reports.variant_corpus OUTDIR   # writes every document and its golden
"""
from __future__ import annotations

import copy
import random
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from opencc_purepy import OpenCC

from pipelines.schema import (
    APPLICANT_COLUMNS,
    APPLICANT_SUBCOLUMNS,
    OTHER_2021,
    SECTION_KEYS,
    application_keys,
    national_labels,
)
from sandbox.reports.html_page import HtmlStyle, render_article
from sandbox.reports.labels import label_text
from sandbox.reports.layout import (
    RUN_BREAK,
    Article,
    Block,
    Cell,
    Paragraph,
    Table,
    applications_table,
    letter_blocks,
    report_blocks,
)
from sandbox.reports.libreoffice import convert
from sandbox.reports.seeds import seed_specs
from sandbox.reports.site import site_for
from sandbox.reports.spec import ReportSpec, Value
from sandbox.reports.variants import Plan, variant
from sandbox.reports.word_doc import render_blocks

FORMATS = ("html", "docx", "pdf")
# Beside the five seeds, generated reports with applications in every column (the seeds are mostly zeros, under which
# a value in a wrong column would go unnoticed): two of the 2021 form, one of the 2019 form.
_GENERATED = {5: Plan(50, busy=True), 6: Plan(51, busy=True, label_quirks=("spaced_chars",)),
              7: Plan(52, "2019", busy=True)}
# HTML editors in turn. Not "layout" (a page laid out in tables): the HTML reader flattens such a page's body into one
# line, so no section heading is found in it whatever the variant — a limitation of its own, not a variant class.
_EDITORS = ("plain", "word", "wps")
_PDF_BATCH = 24  # DOCX per soffice call: a call must end within its timeout on a loaded machine


@dataclass
class Variant:
    """A spec being varied, the blocks drawn from it, and what a correct extractor reads from them."""

    spec: ReportSpec
    blocks: list[Block] = field(default_factory=list)
    expected: dict[str, Value] = field(default_factory=dict)  # every field key → value (None when not in the doc)
    agency: str = ""
    year: int = 0

    def label(self, label_id: str) -> str:
        return label_text(self.spec.template, self.spec.labels, label_id)

    def relabel(self, changes: dict[str, str]) -> None:
        self.spec.labels = {**self.spec.labels, **changes}

    def tables(self) -> dict[str, Table]:
        return {b.name: b for b in self.blocks if isinstance(b, Table)}

    def replace_table(self, name: str, *new: Block) -> None:
        i = next(i for i, b in enumerate(self.blocks) if isinstance(b, Table) and b.name == name)
        self.blocks[i:i + 1] = list(new)


Change = Callable[[Variant, random.Random], None]  # applied to the spec before the blocks are drawn
Redraw = Callable[[Variant, random.Random], None]  # applied to the drawn blocks


@dataclass(frozen=True)
class VariantClass:
    name: str
    description: str
    change: Change | None = None
    redraw: Redraw | None = None
    templates: tuple[str, ...] = ("2021", "2019")


def _row_ids(v: Variant, prefix: str = "applications.row.") -> list[str]:
    return [i for i in national_labels(v.spec.template) if i.startswith(prefix)]


# --- label classes -----------------------------------------------------------------------------------------------

# One character a person reads through: near-homophones and look-alikes, as seen in real reports.
_SUBSTITUTIONS = {
    "applications.row.denied_enforcement_file": ("案卷", "案券"),
    "applications.row.denied_law_forbidden": ("禁止", "禁上"),
    "applications.row.denied_internal_affairs": ("内部", "内布"),
    "applications.row.unable_not_held": ("掌握", "掌据"),
    "applications.row.not_processed_publication": ("出版物", "出板物"),
    "applications.row.not_processed_confirm": ("重新出具", "重新出据"),
    "applications.row.denied_process_info": ("过程性", "过程姓"),
    "applications.row.carried_over": ("结转", "结传"),
    "applications.row.other_overdue_correction": ("不补正", "不补证"),
    "applications.group.unable": ("提供", "提共"),
    "review.col.pending": ("审结", "审洁"),
    "active.row.punishment": ("处罚", "处伐"),
}
# Two characters dropped from a long label.
_DROPS = {
    "applications.row.other_overdue_correction": "理由",
    "applications.row.other_overdue_fee": "收费",
    "applications.row.not_processed_confirm": "确认",
    "applications.row.unable_need_create": "现成",
    "applications.row.denied_law_forbidden": "法规",
    "applications.row.carried_forward": "年度",
    "applications.row.new_received": "政府",
}


def _typos(v: Variant, rng: random.Random) -> None:
    ids = set(national_labels(v.spec.template))
    v.relabel({i: v.label(i).replace(a, b) for i, (a, b) in _SUBSTITUTIONS.items() if i in ids})


def _dropped(v: Variant, rng: random.Random) -> None:
    ids = set(national_labels(v.spec.template))
    v.relabel({i: v.label(i).replace(gone, "", 1) for i, gone in _DROPS.items() if i in ids})


def _stray_spaces(v: Variant, rng: random.Random) -> None:
    changes = {}
    for i in _row_ids(v) + _row_ids(v, "active.row.") + _row_ids(v, "review.col."):
        text = v.label(i)
        if len(text) > 3:
            at = rng.randrange(1, len(text) - 1)
            changes[i] = text[:at] + " " * rng.randint(1, 3) + text[at:]
    v.relabel(changes)


def _normative_docs(v: Variant, rng: random.Random) -> None:
    v.relabel({"active.row.normative_docs": "规范性文件"})


_CIRCLED = "①②③④⑤⑥⑦⑧⑨"
_NUMBERING_STYLES = ("{n}、", "（{n}）", "{c}", "")


def _numbering(v: Variant, rng: random.Random) -> None:
    style = _NUMBERING_STYLES[rng.randrange(len(_NUMBERING_STYLES))]
    changes = {}
    for i in _row_ids(v):
        text = v.label(i)
        m = re.match(r"^(\d)\s*[.．]\s*", text)
        if m:
            n = int(m.group(1))
            changes[i] = style.format(n=n, c=_CIRCLED[n - 1]) + text[m.end():]
    v.relabel(changes)


def _article_space(v: Variant, rng: random.Random) -> None:
    v.relabel({i: re.sub(r"第([（(])", r"第 \1", v.label(i), count=1) if n % 2 else v.label(i).replace("条", "条 ")
               for n, i in enumerate(_row_ids(v, "active.block."))})


def _wrapped_numbers(v: Variant, rng: random.Random) -> None:
    changes = {}
    for i in _row_ids(v) + _row_ids(v, "applications.group."):
        m = re.match(r"^(?:\d\s*[.．]|[（(][一二三四五六七][）)]|[一二三四]、)\s*", v.label(i))
        if m:
            text = v.label(i)
            changes[i] = text[:m.end()].strip() + "\n" + text[m.end():]
    v.relabel(changes)


def _vertical_group(v: Variant, rng: random.Random) -> None:
    v.relabel({"applications.results": "\n".join(v.label("applications.results").replace(" ", ""))})


def _broken_labels(v: Variant, rng: random.Random) -> None:
    # Editors split a label into runs mid-word (spans in HTML), or break it over lines (a PDF's wrapped cell).
    changes = {}
    ids = _row_ids(v) + _row_ids(v, "applications.col.") + _row_ids(v, "active.col.") + _row_ids(v, "review.col.")
    for n, i in enumerate(ids):
        text = v.label(i).replace(" ", "")
        if len(text) >= 4:
            at = rng.randrange(2, len(text) - 1)
            changes[i] = text[:at] + (RUN_BREAK if n % 2 else "\n") + text[at:]
    v.relabel(changes)


def _two_paragraphs(v: Variant, rng: random.Random) -> None:
    changes = {"applications.row.partial": "（二）部分公开\n（区分处理的，只计这一情形，不计其他情形）",
               "applications.note": "（本列数据的勾稽关系为：\n第一项加第二项之和，等于第三项加第四项之和）"}
    if v.spec.template == "2021":
        changes["active.col.amount_10k_yuan"] = "本年收费金额\n（单位：万元）"
        changes["applications.row.other_overdue_fee"] = (
            "2.申请人逾期未按收费通知要求缴纳费用、\n行政机关不再处理其政府信息公开申请")
    v.relabel(changes)


_TO_TRADITIONAL = OpenCC("s2t")


def _traditional(v: Variant, rng: random.Random) -> None:
    v.relabel({i: _TO_TRADITIONAL.convert(v.label(i)) for i in national_labels(v.spec.template)})


# --- value classes ------------------------------------------------------------------------------------------------

def _blank_columns(v: Variant, rng: random.Random) -> None:
    for key in application_keys(v.spec.template):
        if key.rsplit(".", 1)[1] in APPLICANT_SUBCOLUMNS[1:] and key not in v.spec.absent:
            v.spec.cells[key] = ""
            v.spec.values[key] = None


def _wrong_arithmetic(v: Variant, rng: random.Random) -> None:
    # Numbers that break R1 and R3 and disagree with the prose: written so, extracted so.
    for key, add in (("applications.new_received.total", 3), ("applications.granted.natural_person", 1)):
        value = v.spec.values[key] or 0
        v.spec.values[key] = value + add
        v.spec.cells[key] = str(value + add)


_FULLWIDTH = str.maketrans("0123456789.+-", "０１２３４５６７８９．＋－")


def _fullwidth_digits(v: Variant, rng: random.Random) -> None:
    v.spec.cells = {k: t.translate(_FULLWIDTH) for k, t in v.spec.cells.items()}


# --- layout classes ----------------------------------------------------------------------------------------------

def _with_cells(table: Table, cells: Iterable[Cell], n_cols: int | None = None, n_rows: int | None = None) -> Table:
    new = Table(table.name, table.n_rows if n_rows is None else n_rows, table.n_cols if n_cols is None else n_cols,
                tuple(sorted(cells, key=lambda c: (c.row, c.col))))
    new.covering()
    return new


def _swap(table: Table, a: int, b: int) -> Table:
    """Columns a and b (neighbours) exchanged with their headers; cells spanning both stay."""
    def moved(cell: Cell) -> Cell:
        if cell.colspan == 1 and cell.col in (a, b):
            return replace(cell, col=b if cell.col == a else a)
        return cell
    return _with_cells(table, map(moved, table.cells))


def _swapped_columns(v: Variant, rng: random.Random) -> None:
    tables = v.tables()
    v.replace_table("applications", _swap(tables["applications"], 4, 5))  # 商业企业 ↔ 科研机构
    v.replace_table("review", _swap(tables["review"], 0, 1))  # 结果维持 ↔ 结果纠正 of 行政复议
    active = tables["active"]
    v.replace_table("active", _swap(active, 2, 3))  # 本年废止件数 ↔ 现行有效件数 (2021), 新公开 ↔ 公开总数 (2019)


_REMARKS = ("", "", "无", "", "含网上申请", "", "")


def _remark_column(v: Variant, rng: random.Random) -> None:
    table = v.tables()["applications"]
    width = table.n_cols
    cells = [replace(c, colspan=c.colspan + 1) if c.col + c.colspan == width and c.row < _header_top(table)
             and c.colspan == width else c for c in table.cells]
    top = _header_top(table)
    cells.append(Cell("备注", top, width, rowspan=3, header=True))
    for r in range(top + 3, table.n_rows):
        cells.append(Cell(_REMARKS[r % len(_REMARKS)], r, width))
    v.replace_table("applications", _with_cells(table, cells, n_cols=width + 1))


def _header_top(table: Table) -> int:
    """The row of the note cell (a caption row may come first)."""
    return min(c.row for c in table.cells if c.rowspan == 3)


def _missing_total(v: Variant, rng: random.Random) -> None:
    table = v.tables()["applications"]
    last = table.n_cols - 1
    cells = []
    for c in table.cells:
        if c.col == last and c.colspan == 1:
            continue
        if c.col <= last < c.col + c.colspan:
            c = replace(c, colspan=c.colspan - 1)
        cells.append(c)
    v.replace_table("applications", _with_cells(table, cells, n_cols=last))
    for key in application_keys(v.spec.template):
        if key.endswith(".total"):
            v.expected[key] = None


def _split(table: Table, at: int, texts: dict[str, tuple[str, str]]) -> tuple[Table, Table]:
    """The table cut before row `at`; a cell running over the cut is two cells, its text shared out by `texts`."""
    upper, lower = [], []
    for c in table.cells:
        if c.row + c.rowspan <= at:
            upper.append(c)
        elif c.row >= at:
            lower.append(replace(c, row=c.row - at))
        else:
            first, second = texts.get(c.text, (c.text, ""))
            upper.append(replace(c, text=first, rowspan=at - c.row))
            lower.append(replace(c, text=second, row=0, rowspan=c.row + c.rowspan - at))
    return (_with_cells(table, upper, n_rows=at), _with_cells(table, lower, n_rows=table.n_rows - at))


def _page_split(v: Variant, rng: random.Random) -> None:
    # Over the page break, the group label 无法提供 is cut in two (（四）无 | 法提供), the way Word lets a row break.
    table = v.tables()["applications"]
    group = v.label("applications.group.unable")
    first_leaf = next(c for c in table.cells if c.key == "applications.unable_not_held.total")
    cut = len(group) - 3
    upper, lower = _split(table, first_leaf.row + 1, {group: (group[:cut], group[cut:])})
    v.replace_table("applications", upper, Paragraph("", "page_break"), lower)


def _undivided_other(v: Variant, rng: random.Random) -> None:
    """A 2021 table whose （六）其他处理 is one row, as in the 2019 form: the row is drawn from the 2019 layout and
    expected under the 2019 keys; the three 2021 sub-rows are not in the document."""
    spec = v.spec
    cells, values = dict(spec.cells), {}
    for col in APPLICANT_COLUMNS:
        parts = [spec.values[f"applications.{row}.{col}"] for row in OTHER_2021]
        stated = [p for p in parts if p is not None]
        values[col] = sum(stated) if stated else None
        cells[f"applications.other.{col}"] = "" if values[col] is None else str(values[col])
    shadow = replace(spec, template="2019", cells=cells,
                     labels={k: t for k, t in spec.labels.items() if not k.startswith("applications.group.other")})
    v.replace_table("applications", applications_table(shadow))
    for col in APPLICANT_COLUMNS:
        v.expected[f"applications.other.{col}"] = values[col]
        for row in OTHER_2021:
            v.expected[f"applications.{row}.{col}"] = None


# --- prose and metadata classes -------------------------------------------------------------------------------------

def _headings(v: Variant, rng: random.Random) -> None:
    """Headings as PDFs and Word show them: other numbering, one broken over two lines, two printed as the first row of
    their table instead of above it."""
    h = dict(v.spec.headings)
    strip = lambda text: re.sub(r"^#+\s*", "", text)  # noqa: E731
    h["overview"] = "第一部分 " + strip(h["overview"]).split("、", 1)[-1]
    h["applications"] = strip(h["applications"]).replace("政府信息公开申请", "政府信息公开\n申请", 1)
    h["problems"] = strip(h["problems"]).replace("、", ".", 1)
    h["other"] = "六 、" + strip(h["other"]).split("、", 1)[-1]
    v.spec.headings = h
    v.relabel({"caption.active": strip(h["active"]), "caption.review": strip(h["review_litigation"])})


def _inside_tables(v: Variant, rng: random.Random) -> None:
    # The headings the captions repeat are left out of the prose (drawn inside their tables only).
    keep = {v.spec.headings["active"], v.spec.headings["review_litigation"]}
    v.blocks = [b for b in v.blocks if not (isinstance(b, Paragraph) and b.role == "heading" and b.text in keep)]


def _bare_title(v: Variant, rng: random.Random) -> None:
    """A title without agency or year (a page that is only the article body). The preamble states the 统计期限; the
    agency is named by one of: the signature block, the preamble, a cover letter."""
    spec = v.spec
    spec.title = "政府信息公开工作年度报告"
    period = f"本报告中所列数据的统计期限自{v.year}年1月1日起至{v.year}年12月31日止。"
    spec.preamble = [f"本报告根据《中华人民共和国政府信息公开条例》要求编制。{period}"]
    spec.cover_letter = None
    kind = rng.randrange(3)
    if kind == 0:
        spec.sections = {**spec.sections, "other": [*spec.sections.get("other", ["无。"]), v.agency,
                                                    f"{v.year + 1}年1月{rng.randint(10, 28)}日"]}
    elif kind == 1:
        spec.preamble = [f"本报告由{v.agency}根据《中华人民共和国政府信息公开条例》要求编制。{period}"]
    else:
        spec.cover_letter = (f"{v.agency}\n关于报送{v.year}年政府信息公开工作年度报告的函\n\n县人民政府办公室：\n"
                             f"现将我单位《{v.year}年政府信息公开工作年度报告》报送你处，请审阅。\n\n\n{v.agency}\n"
                             f"{v.year + 1}年1月{rng.randint(5, 20)}日")


CLASSES: dict[str, VariantClass] = {c.name: c for c in (
    VariantClass("typo", "one character substituted in row labels (near-homophones, look-alikes)", _typos),
    VariantClass("dropped_chars", "two characters dropped from long row labels", _dropped),
    VariantClass("stray_spaces", "stray spaces inside labels", _stray_spaces),
    VariantClass("normative_docs", "规范性文件 for 行政规范性文件", _normative_docs, templates=("2021",)),
    VariantClass("numbering", "sub-row numbering 1、 / （1） / ① / none", _numbering),
    VariantClass("article_space", "a space inside 第二十条第（一）项", _article_space),
    VariantClass("undivided_other", "2021 table with （六）其他处理 as one row", redraw=_undivided_other,
                 templates=("2021",)),
    VariantClass("broken_labels", "labels and headers broken across spans or lines", _broken_labels),
    VariantClass("two_paragraphs", "a cell holding two paragraphs", _two_paragraphs),
    VariantClass("wrapped_numbers", "row labels wrapped with their numbers on a line of their own", _wrapped_numbers),
    VariantClass("vertical_group", "三、本年度办理结果 as stacked characters", _vertical_group),
    VariantClass("page_split", "table 三 split over a page break, a group label cut in two", redraw=_page_split),
    VariantClass("blank_columns", "the five 法人或其他组织 columns left blank", _blank_columns),
    VariantClass("wrong_arithmetic", "arithmetic wrong, prose disagreeing with the table", _wrong_arithmetic),
    VariantClass("traditional", "labels in traditional characters", _traditional),
    VariantClass("fullwidth_digits", "full-width digits in cells", _fullwidth_digits),
    VariantClass("swapped_columns", "neighbouring columns swapped with their headers", redraw=_swapped_columns),
    VariantClass("remark_column", "an extra 备注 column", redraw=_remark_column),
    VariantClass("missing_total", "table 三 without its 总计 column", redraw=_missing_total),
    VariantClass("headings", "section headings renumbered, broken over lines, inside tables", _headings,
                 _inside_tables),
    VariantClass("bare_title", "title without agency and year: body and signature name them", _bare_title),
)}


# --- the corpus ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CorpusDoc:
    name: str  # class/base.format
    variant_class: str
    format: str
    data: bytes
    golden: dict  # agency, year, template, fields, sections (the section keys with a heading)


def make_variant(cls: VariantClass, base: ReportSpec, seed: int) -> Variant:
    rng = random.Random(f"{cls.name}/{seed}")
    spec = copy.deepcopy(base)
    v = Variant(spec, agency=base.agency, year=base.year)
    if cls.change:
        cls.change(v, rng)
    v.expected = dict(spec.values)
    for key in spec.absent:
        v.expected[key] = None
    v.blocks = [*letter_blocks(spec), *report_blocks(spec)]
    if cls.redraw:
        cls.redraw(v, rng)
    return v


def _golden(v: Variant) -> dict:
    return {"is_report": True, "agency": v.agency, "year": v.year, "template": v.spec.template, "fields": v.expected,
            "sections": [k for k in SECTION_KEYS if v.spec.headings.get(k)]}


def _html(v: Variant, n: int) -> bytes:
    article = Article(v.spec.title, v.agency, v.spec.published, v.blocks)
    return render_article(article, HtmlStyle(editor=_EDITORS[n % len(_EDITORS)]), site_for(v.agency))


def _docx(v: Variant) -> bytes:
    letters = sum(1 for b in v.blocks if isinstance(b, Paragraph) and b.role == "letter")
    return render_blocks(v.blocks, v.spec.title, v.agency, datetime(v.year + 1, 1, 8, 9), page_break_after=letters)


def base_specs() -> dict[int, ReportSpec]:
    """The five seeds (0–4) and the generated bases (5–7)."""
    seeds = seed_specs()
    return {**seeds, **{n: variant(seeds[plan.seed % len(seeds)], plan) for n, plan in _GENERATED.items()}}


def corpus(classes: Iterable[str] | None = None, formats: Iterable[str] = FORMATS,
           bases: Iterable[int] | None = None, progress: Callable[[str], None] | None = None) -> list[CorpusDoc]:
    """Every (class, base, format) document; `bases` picks base numbers (default: all of `base_specs`)."""
    specs = base_specs()
    chosen = list(bases) if bases is not None else sorted(specs)
    pairs = [(name, n) for name in classes or CLASSES for n in chosen if specs[n].template in CLASSES[name].templates]
    return _render(pairs, specs, tuple(formats), progress)


def sample(formats: Iterable[str] = FORMATS) -> list[CorpusDoc]:
    """One document per class and format, the bases taken in turn (the tests' share of the corpus)."""
    specs = base_specs()
    order = sorted(specs)
    pairs = []
    for i, name in enumerate(CLASSES):
        turn = order[i % len(order):] + order[:i % len(order)]
        pairs.append((name, next(n for n in turn if specs[n].template in CLASSES[name].templates)))
    return _render(pairs, specs, tuple(formats), None)


def _render(pairs: list[tuple[str, int]], specs: dict[int, ReportSpec], formats: tuple[str, ...],
            progress: Callable[[str], None] | None) -> list[CorpusDoc]:
    """The documents of (class, base) pairs; the PDFs made from the DOCX by LibreOffice in one call."""
    docs: list[CorpusDoc] = []
    pdf_sources: dict[str, tuple[bytes, dict]] = {}
    for name, n in pairs:
        v = make_variant(CLASSES[name], specs[n], n)
        golden = _golden(v)
        stem = f"{name}/{n:03d}"
        if "html" in formats:
            docs.append(CorpusDoc(f"{stem}.html", name, "html", _html(v, n), golden))
        if "docx" in formats or "pdf" in formats:
            docx = _docx(v)
            if "docx" in formats:
                docs.append(CorpusDoc(f"{stem}.docx", name, "docx", docx, golden))
            if "pdf" in formats:
                pdf_sources[stem.replace("/", "__")] = (docx, golden)
    names = list(pdf_sources)
    for start in range(0, len(names), _PDF_BATCH):
        batch = names[start:start + _PDF_BATCH]
        if progress:
            progress(f"PDF {start + 1}–{start + len(batch)} of {len(names)} (LibreOffice) …")
        pdfs = convert({k: pdf_sources[k][0] for k in batch}, "pdf")
        for key in batch:
            stem = key.replace("__", "/")
            docs.append(CorpusDoc(f"{stem}.pdf", stem.split("/")[0], "pdf", pdfs[key], pdf_sources[key][1]))
    return docs


def main(argv: list[str]) -> int:
    import json

    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    for doc in corpus(progress=lambda m: print(m, file=sys.stderr)):
        path = out / doc.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(doc.data)
        path.with_name(path.name + ".expected.json").write_text(
            json.dumps(doc.golden, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
