"""The years a crawl covers, as the command line and Scrapy's `-a years=` give them."""
from __future__ import annotations

from datetime import date

# The first year with reports is 2008 (the Regulations took effect that year); a wider span only catches typos.
FIRST, LAST = 1990, 2100


def parse_years(text: str, today: date | None = None) -> range:
    """"2019-2025" → range(2019, 2026); "2023" → range(2023, 2024); "2019-" → from 2019 to last year, the newest
    year with reports due, so that a scheduled crawl's command line stays current."""
    wrong = ValueError(f"years must be YYYY, YYYY-YYYY or YYYY- (to last year), got {text!r}")
    first, dash, last = text.partition("-")
    try:
        start = int(first)
        stop = int(last) if last else (today or date.today()).year - 1 if dash else start
    except ValueError:
        raise wrong from None
    if not FIRST <= start <= stop <= LAST:
        raise wrong
    return range(start, stop + 1)
