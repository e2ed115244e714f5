"""Version identity: a normalised content fingerprint that survives re-rendering but not real edits.

The same report as an HTML page and as its PDF, at two URLs, or re-stamped as new bytes must give one fingerprint;
changed numbers or text must give another. So the fingerprint covers the field values and the prose of the
sections, with what differs between renderings removed: page chrome (发布时间, 浏览次数, 打印本页 …), page numbers,
dates and times, whitespace, punctuation and full/half-width forms. Raw cell text is left out: "/" and "—" for one
blank cell are the same fact rendered twice.

A table-only rendering (a spreadsheet, or a page posting the tables alone) carries the fields but not the prose, so
its fingerprint cannot match the full report's. It is marked `table_only` and fingerprinted by its fields alone, and
`archive.ingest.version_chains` files it under the full version whose tables it repeats, whichever of the two arrives
first.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from archive.ingest.extracted import Extracted
from archive.store.db import dumps
from pipelines.schema import SECTION_KEYS

# Lines that belong to the page around a report rather than to it.
_CHROME_LINE = re.compile(
    r"^(发布时间|发布日期|成文日期|来源|信息来源|作者|浏览次数|阅读次数|点击数|访问量|字号|【?打印|【?关闭|分享到|索引号|"
    r"扫一扫|当前位置|您当前的位置|上一篇|下一篇|相关附件|附件[:：]?$)"
)
_PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|[-—–]\s*\d+\s*[-—–]|\d+\s*/\s*\d+|page \d+( of \d+)?)$",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}:\d{2}(:\d{2})?"
)
# Tables with fewer filled cells than this (a report with almost no activity) match by chance, not by copying.
MIN_FILLED_CELLS = 10
# Keep letters and digits of every script; everything else (spaces, punctuation, symbols, bullets) is rendering.
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


# Full-width ASCII and the ideographic space, the compatibility characters of Chinese text, to what NFKD makes of them.
_WIDE = {c: unicodedata.normalize("NFKD", chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000)}


def nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), at half the cost for Chinese prose.

    Replacing characters by their full compatibility decomposition leaves the NFKD form, hence the NFKC form, as it
    was; so when the replaced text is already NFKC (as Chinese prose is once its full-width forms are gone) it is the
    NFKC form. Anything else takes the full normalisation.
    """
    quick = text.translate(_WIDE)
    return quick if unicodedata.is_normalized("NFKC", quick) else unicodedata.normalize("NFKC", text)


def normalise_text(text: str) -> str:
    text = nfkc(text)
    kept = []
    for line in text.splitlines():
        line = line.strip()
        if not line or _CHROME_LINE.match(line) or _PAGE_NUMBER.match(line):
            continue
        kept.append(_DATE.sub("", line))
    return _NOT_WORD.sub("", "".join(kept)).lower()


def prose(sections: Mapping[str, str]) -> str:
    """The normalised prose of a report: its sections in the national outline's order, then any others."""
    order = list(SECTION_KEYS) + sorted(k for k in sections if k not in SECTION_KEYS)
    return "".join(normalise_text(sections.get(k) or "") for k in order)


_EXACT_INT = 10 ** 27


def canonical_value(value: Any) -> str | None:
    """5, 5.0 and "5" are one value; a blank stays distinct from 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    # What the Decimal path gives an int short of the 28-digit context precision, at a fifth of the cost.
    if type(value) is int and abs(value) < _EXACT_INT:
        return str(value)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return format(number.normalize(), "f")


def canonical_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    # canonical_value's int case inline: most fields are ints, and the call was most of the cost.
    return {k: str(v) if type(v) is int and abs(v) < _EXACT_INT else canonical_value(v)  # type: ignore[misc]
            for k in sorted(fields) if (v := fields[k]) is not None}


# Spreadsheet readers turn header cells into stray "prose" (a few characters such as 第二十条第（一）项).
SPREADSHEETS = frozenset({"xls", "xlsx"})
# Normalised characters: a real report's prose runs to thousands, a table-only page's leftovers to a few dozen.
MIN_PROSE = 200


@dataclass(frozen=True)
class Identity:
    """Where an extraction result belongs: (agency, year) and, within that report, which content."""

    agency: str
    year: int
    fingerprint: str  # fields and prose; the fields alone for a table-only rendering
    tables: str  # the fields alone: what a table-only rendering shares with its full version
    table_only: bool
    telling_tables: bool  # identical tables would mean copying (rule S5): there is real activity in them
    prose: str  # empty for a table-only rendering: its leftovers are not the report's text


def content_digest(canonical: Mapping[str, str], text: str) -> str:
    return _content_digest(dumps(canonical), text)


def _content_digest(canonical_json: str, text: str) -> str:
    # dumps({"fields": canonical, "prose": text}), byte for byte, from the fields' JSON the tables digest needs too.
    payload = '{"fields":' + canonical_json + ',"prose":' + dumps(text) + "}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def fingerprint(fields: Mapping[str, Any], sections: Mapping[str, str]) -> str:
    return content_digest(canonical_fields(fields), prose(sections))


def tables_digest(canonical: Mapping[str, str]) -> str:
    return _tables_digest(dumps(canonical))


def _tables_digest(canonical_json: str) -> str:
    return hashlib.sha256(canonical_json.encode("utf-8")).hexdigest()


EMPTY_TABLES = _tables_digest(dumps({}))


def is_table_only(fmt: str | None, canonical: Mapping[str, str], text: str) -> bool:
    """A rendering that is not a version of its own while the report has another: the tables without the prose, or
    a shell — no table and next to no prose, like the page announcing a report that is in its attachment
    ("……已经编制完成，现予以公布。详见附件。")."""
    if not canonical:
        return len(text) < MIN_PROSE
    return fmt in SPREADSHEETS or len(text) < MIN_PROSE


def is_shell(tables: str, table_only: bool) -> bool:
    """A table-only rendering without tables (see is_table_only), from its extraction's identity columns."""
    return table_only and tables == EMPTY_TABLES


def identify(result: Extracted, agency_hint: str | None = None, year_hint: int | None = None) -> Identity | None:
    """The identity of an extraction result, or None when it is not an attributable report.

    The agency and year come from the document itself; the listing's hints are used only when it states neither.
    """
    if result.error or not result.is_report:
        return None
    agency = result.agency or agency_hint
    year = result.year or year_hint
    if not agency or not year:
        return None
    canonical = canonical_fields(result.fields)
    text = prose(result.sections)
    table_only = is_table_only(result.format, canonical, text)
    if table_only:
        text = ""
    fields_json = dumps(canonical)
    return Identity(normalise_agency(agency), int(year), _content_digest(fields_json, text),
                    _tables_digest(fields_json), table_only, telling_tables(canonical), text)


def telling_tables(canonical: Mapping[str, str]) -> bool:
    """Identical tables mean copying only with real activity in them; fewer filled cells match by chance."""
    return len(canonical) >= MIN_FILLED_CELLS and any(value != "0" for value in canonical.values())


# Full-width characters NFKC would turn into a formula's first character (=, +, -, @): a name is text, and must
# not become "=HYPERLINK(…)" on its way to a spreadsheet.
_KEPT_WIDE = re.compile(r"[^＝＋－＠]+")


def normalise_agency(name: str) -> str:
    wide_kept = _KEPT_WIDE.sub(lambda part: unicodedata.normalize("NFKC", part.group()), name)
    return re.sub(r"\s+", "", wide_kept)
