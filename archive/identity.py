"""Version identity: a normalised content fingerprint that survives re-rendering but not real edits.

The same report as an HTML page and as its PDF, at two URLs, or re-stamped as new bytes must give one fingerprint;
changed numbers or text must give another. So the fingerprint covers the field values and the prose of the
sections, with what differs between renderings removed: page chrome (发布时间, 浏览次数, 打印本页 …), page numbers,
dates and times, whitespace, punctuation and full/half-width forms. Raw cell text is left out: "/" and "—" for one
blank cell are the same fact rendered twice.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from pipelines.schema import SECTION_KEYS

from archive.db import dumps

# Lines that belong to the page around a report rather than to it.
_CHROME_LINE = re.compile(
    r"^(发布时间|发布日期|成文日期|来源|信息来源|作者|浏览次数|阅读次数|点击数|访问量|字号|【?打印|【?关闭|分享到|索引号|"
    r"扫一扫|当前位置|您当前的位置|上一篇|下一篇|相关附件|附件[:：]?$)"
)
_PAGE_NUMBER = re.compile(
    r"^(第\s*\d+\s*页(\s*[,，/]?\s*共\s*\d+\s*页)?|[-—–]\s*\d+\s*[-—–]|\d+\s*/\s*\d+|page \d+( of \d+)?)$", re.IGNORECASE
)
_DATE = re.compile(
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}:\d{2}(:\d{2})?"
)
# Keep letters and digits of every script; everything else (spaces, punctuation, symbols, bullets) is rendering.
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
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


def canonical_value(value: Any) -> str | None:
    """5, 5.0 and "5" are one value; a blank stays distinct from 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value)
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return format(number.normalize(), "f")


def canonical_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k in sorted(fields) if (v := canonical_value(fields[k])) is not None}


@dataclass(frozen=True)
class Identity:
    """Where an extraction result belongs: (agency, year) and, within that report, which content."""

    agency: str
    year: int
    fingerprint: str
    prose: str


def fingerprint(fields: Mapping[str, Any], sections: Mapping[str, str]) -> str:
    payload = dumps({"fields": canonical_fields(fields), "prose": prose(sections)})
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def identify(result: Mapping[str, Any], agency_hint: str | None = None,
             year_hint: int | None = None) -> Identity | None:
    """The identity of an extraction result (a `Report.as_dict()`), or None when it is not an attributable report.

    The agency and year come from the document itself; the listing's hints are used only when it states neither.
    """
    if result.get("error") or not result.get("is_report"):
        return None
    agency = result.get("agency") or agency_hint
    year = result.get("year") or year_hint
    if not agency or not year:
        return None
    fields = result.get("fields") or {}
    sections = result.get("sections") or {}
    return Identity(normalise_agency(agency), int(year), fingerprint(fields, sections), prose(sections))


def normalise_agency(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
