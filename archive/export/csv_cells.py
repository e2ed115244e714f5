"""CSV cells a spreadsheet opens as text: agency names and titles come from documents found on the internet, and a
cell starting with =, +, -, @ (or a tab or carriage return before one) would run as a formula (CSV injection)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(text: str | None) -> str:
    text = text or ""
    return "'" + text if text.startswith(_FORMULA_START) else text


# List items in one cell (export and coverage CSV): an item holding the separator has it percent-encoded (%7C, which
# for a URL is the same URL; check labels never hold it).
LIST_SEPARATOR = "|"


def csv_list(items: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(str(item).replace(LIST_SEPARATOR, "%7C") for item in items)


def csv_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record with each text value made safe; numbers stay numbers (a negative count is no formula)."""
    return {key: csv_text(value) if isinstance(value, str) else value for key, value in record.items()}
