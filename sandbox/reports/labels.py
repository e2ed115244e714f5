"""Label quirks real reports show (domain.md §2), applied to the national forms' printed labels (pipelines.schema).

Label ids: `active.block.<一|五|…>` (第二十条 item rows), `active.content` (信息内容), `active.col.<col>`,
`active.row.<row>`, `applications.note|applicant|org|results`, `applications.col.<col>`, `applications.row.<row>`,
`applications.group.<group>`, `review.litigation`, `review.group.<group>`, `review.col.<col>`, and
`caption.<active|applications|review>` for a title row some reports print inside a table (none by default).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from pipelines.schema import SECTION_HEADINGS, national_labels


@cache
def _national(template: str) -> dict[str, str]:
    """The national labels, built once per template: every printed cell of every body looks one up (read only)."""
    return national_labels(template)


def label_text(template: str, overrides: dict[str, str], label_id: str) -> str:
    return overrides.get(label_id) or _national(template)[label_id]


# --- quirks: each maps the current labels to changed ones -------------------------------------------------------

Labels = dict[str, str]
_APPLICANT_SUBCOLUMNS = [f"applications.col.{c}" for c in
                         ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other_org")]
_NUMERALS = "一二三四五六七"


def _spaced(text: str) -> str:
    # Justified cells come out of Word/PDF as characters separated by spaces; a numbering prefix stays intact.
    text = text.replace("\n", "")  # the last of spacing and line-breaking wins
    numbered = re.match(r"^(?:[一二三四]、|（[一二三四五六七]）)?", text)  # matches always, maybe empty
    prefix = numbered.group(0) if numbered else ""
    return prefix + " ".join(text[len(prefix):])


def _chunked(text: str, size: int = 2) -> str:
    text = text.replace(" ", "")
    return "\n".join(text[i:i + size] for i in range(0, len(text), size))


def _spaced_chars(labels: Labels, template: str, year: int) -> Labels:
    ids = [*_APPLICANT_SUBCOLUMNS, *(k for k in labels if k.startswith("review.col.")), "applications.results"]
    return {i: _spaced(labels[i]) for i in ids}


def _halfwidth_brackets(labels: Labels, template: str, year: int) -> Labels:
    return {i: t.replace("（", "(").replace("）", ")") for i, t in labels.items() if "（" in t or "）" in t}


def _arabic_numbering(labels: Labels, template: str, year: int) -> Labels:
    out = {}
    for i, t in labels.items():
        m = re.match(r"^[（(]([一二三四五六七])[）)]", t)
        if m and i.startswith("applications."):
            out[i] = f"({_NUMERALS.index(m.group(1)) + 1}) " + t[m.end():]
    return out


def _line_breaks(labels: Labels, template: str, year: int) -> Labels:
    ids = [*_APPLICANT_SUBCOLUMNS[1:-1], *(f"review.col.{c}" for c in ("upheld", "corrected", "other_result",
                                                                         "pending"))]
    return {i: _chunked(labels[i]) for i in ids}


def _normative_docs_2021(labels: Labels, template: str, year: int) -> Labels:
    return {"active.row.normative_docs": "规范性文件"} if template == "2021" else {}


def _in_force_cumulative(labels: Labels, template: str, year: int) -> Labels:
    return {"active.col.in_force": labels["active.col.in_force"] + "（历史累计）"} if template == "2021" else {}


def _issued_with_year(labels: Labels, template: str, year: int) -> Labels:
    return {"active.col.issued": f"本年({year})制发件数"} if template == "2021" else {}


def _regulations_county(labels: Labels, template: str, year: int) -> Labels:
    return {"active.row.regulations": labels["active.row.regulations"] + "(县级无此项)"}


def _overdue_fee_anzhao(labels: Labels, template: str, year: int) -> Labels:
    key = "applications.row.other_overdue_fee"
    return {key: labels[key].replace("逾期未按收费", "逾期未按照收费")} if key in labels else {}


def _fullwidth_dot(labels: Labels, template: str, year: int) -> Labels:
    return {i: re.sub(r"^(\d)\.", r"\1．", t) for i, t in labels.items()
            if i.startswith("applications.row.") and re.match(r"^\d\.", t)}


def _caption_rows(labels: Labels, template: str, year: int) -> Labels:
    # The 2019 national form printed each table's title in its first row.
    return {f"caption.{name}": SECTION_HEADINGS[section].split("、", 1)[1] for name, section in
            (("active", "active"), ("applications", "applications"), ("review", "review_litigation"))}


QUIRKS: dict[str, Callable[[Labels, str, int], Labels]] = {
    "spaced_chars": _spaced_chars,
    "halfwidth_brackets": _halfwidth_brackets,
    "arabic_numbering": _arabic_numbering,
    "line_breaks": _line_breaks,
    "normative_docs_2021": _normative_docs_2021,
    "in_force_cumulative": _in_force_cumulative,
    "issued_with_year": _issued_with_year,
    "regulations_county": _regulations_county,
    "overdue_fee_anzhao": _overdue_fee_anzhao,
    "fullwidth_dot": _fullwidth_dot,
    "caption_rows": _caption_rows,
}


def apply_quirks(template: str, year: int, names: list[str]) -> Labels:
    """The label overrides (ids whose text differs from the national form) after applying `names` in order."""
    national = _national(template)
    labels = dict(national)
    for name in names:
        labels.update(QUIRKS[name](labels, template, year))
    return {i: t for i, t in labels.items() if national.get(i) != t}
