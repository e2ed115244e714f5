"""Cell text → the schema's value: a number, or None for blank / not applicable, never a back-filled 0."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# What reports write for "nothing here"; each means something different from 0 and stays None.
NULL_MARKERS = frozenset({"", "/", "\\", "-", "--", "—", "——", "–", "―", "~", "不适用", "无", "n/a", "na", "×", "空"})
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(万元|万|元)?(?:件|项|条|个|次|宗|份)?$")
_INVISIBLE = re.compile(r"[\s\u200b\ufeff,，]")


@dataclass(frozen=True)
class Value:
    number: int | float | None
    ok: bool  # False when the text is neither a number nor a known blank/not-applicable marker
    unit: str | None = None


def normal(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


def is_value_like(text: str) -> bool:
    """A cell that holds a value (a number or a blank marker), as opposed to a label."""
    t = normal(text).lower()
    return t in NULL_MARKERS or bool(_NUMBER.match(t))


def parse(text: str, amount: bool = False, header_unit: str | None = None) -> Value:
    """Parse one cell. `amount` cells are returned in 万元, converting from 元 stated in the cell or the header."""
    t = normal(text)
    if t.lower() in NULL_MARKERS:
        return Value(None, True)
    match = _NUMBER.match(t)
    if not match:
        return Value(None, False)
    sign, digits, unit = match.groups()
    number: int | float = float(digits) if "." in digits else int(digits)
    if sign == "-":
        number = -number
    unit = unit or header_unit
    if amount and unit == "元":
        number = round(number / 10000, 6)
    if isinstance(number, float) and number.is_integer() and "." not in digits:
        number = int(number)
    return Value(number, True, unit)


def header_unit(header: str) -> str | None:
    """The money unit a column header states: "本年收费金额（单位：万元）" → 万元."""
    t = normal(header)
    if "万元" in t:
        return "万元"
    if re.search(r"[(:]元\)?|单位:?元", t):
        return "元"
    return None
