"""Cell text → the schema's value: a number, or None for blank / not applicable, never a back-filled 0."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# What reports write for "nothing here"; each means something different from 0 and stays None.
NULL_MARKERS = frozenset({"", "/", "\\", "-", "--", "—", "——", "–", "―", "~", "不适用", "无", "n/a", "na", "×", "空"})
_UNITS = r"(万元|万|元)?(?:件|项|条|个|次|宗|份)?"
_NUMBER = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)" + _UNITS + "$")
# Chinese numerals ("一百", "两千零五", "一万二千"); a closing 万 is left to the unit, as in "二十五万元".
_CHINESE_NUMBER = re.compile(r"^(负?)([〇零一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点]+?)" + _UNITS + "$")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A dash typed with the IME's 一 (or read so from a picture) looks exactly like the numeral one; alone in a value cell
# it is the dash, never 1 (a real 1 is written with a digit).
_DASH_LOOKALIKES = frozenset({"一", "一一"})
_INVISIBLE = re.compile(r"[\s\u200b\ufeff,，]")
# "12 34": two numbers, or one with a gap; never 1234. A line break is not a gap: a number wraps in a narrow cell.
_SPLIT_DIGITS = re.compile(r"\d[ \t]+\d")  # after NFKC, which makes U+3000 and U+00A0 spaces
# No count or amount of an annual report comes near a billion (the largest, a province's 主动公开 items, are in the
# millions); beyond it a value is a typing or reading error, and past 2**63 no archive column or export can hold it.
LARGEST = 10**9


@dataclass(frozen=True)
class Value:
    number: int | float | None
    ok: bool  # False when the text is neither a number nor a known blank/not-applicable marker
    unit: str | None = None
    problem: str | None = None  # why a text that is not ok was not read


# Cell texts repeat ("0", "1", "/" fill most of a table), and mapping asks of each several times: the pure functions
# below are cached, a few thousand recent texts each (XLSX extraction: 0.73× the pre-issue-17 rate without it).
@lru_cache(maxsize=4096)
def normal(text: str) -> str:
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))


@lru_cache(maxsize=4096)
def is_value_like(text: str) -> bool:
    """A cell that holds a value (a number or a blank marker), as opposed to a label. Labels are Chinese words, so
    a cell without them ("NaN", "100%") stands where a value belongs, to be parsed and flagged rather than skipped
    (which moved the row's values aside or left the cell blank without a warning); so does a Chinese numeral of
    more than one character (a lone "一" may number a row)."""
    t = normal(text).lower()
    if t in NULL_MARKERS or _NUMBER.match(t) or not _HAN.search(t):
        return True
    return len(t) > 1 and bool(_CHINESE_NUMBER.match(t))


@lru_cache(maxsize=4096)
def parse(text: str, amount: bool = False, header_unit: str | None = None) -> Value:
    """Parse one cell. `amount` cells are returned in 万元, converting from 元 stated in the cell or the header.

    A text that is not read is None with a `problem`, never a guess: "12 34" is not 1234, "100%" not 100."""
    t = normal(text)
    if t.lower() in NULL_MARKERS or t in _DASH_LOOKALIKES:
        return Value(None, True)
    if _SPLIT_DIGITS.search(unicodedata.normalize("NFKC", text)):
        return Value(None, False, problem="is not a number (digits separated by a space)")
    match = _NUMBER.match(t) or _CHINESE_NUMBER.match(t)
    if not match:
        return Value(None, False, problem="is not a number")
    sign, digits, unit = match.groups()
    if match.re is _NUMBER:
        if len(digits.partition(".")[0]) > len(str(LARGEST)):
            return _too_large()
        number: int | float = float(digits) if "." in digits else int(digits)
    else:
        chinese = _chinese(digits)
        if chinese is None:
            return Value(None, False, problem="is not a number")
        number = chinese
    if sign in ("-", "负"):
        number = -number
    unit = unit or header_unit
    if amount and unit == "元":
        number = round(number / 10000, 6)
    if isinstance(number, float) and number.is_integer() and not re.search("[.点]", digits):
        number = int(number)
    if abs(number) > LARGEST:
        return _too_large()
    return Value(number, True, unit)


def held(number: int | float | None) -> int | float | None:
    """`number` when a report can hold it, else None: results archived before values were limited may hold
    400-digit integers or infinities, which neither Parquet's int64 nor standard JSON can carry."""
    if number is None or isinstance(number, bool) or not isinstance(number, (int, float)):
        return None
    return number if abs(number) <= LARGEST else None  # NaN compares False: None too


def _too_large() -> Value:
    return Value(None, False, problem=f"is beyond what a report can hold (more than {LARGEST:,})")


def _chinese(numeral: str) -> int | float | None:
    """A Chinese numeral's value, or None when it is not one ("百" alone, "十十")."""
    import cn2an  # imported on use: few reports write numbers in Chinese
    try:
        value: int | float = cn2an.cn2an(numeral, "normal")
        return value
    except (ValueError, KeyError):  # cn2an's errors for what it cannot read (KeyError: "贰贰亿六")
        return None


def header_unit(header: str) -> str | None:
    """The money unit a column header states: "本年收费金额（单位：万元）" → 万元."""
    t = normal(header)
    if "万元" in t:
        return "万元"
    if re.search(r"[(:]元\)?|单位:?元", t):
        return "元"
    return None
