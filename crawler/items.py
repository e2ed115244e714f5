"""What the spider hands to the item pipeline: one exchange, with the provenance the archive records."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Fetched:
    url: str  # as requested
    final_url: str  # after redirects
    method: str
    status: int
    headers: list[tuple[str, str]] = field(repr=False)
    body: bytes = field(repr=False)
    fetched_at: datetime
    portal: str  # the registry's portal URL
    kind: str  # "document" (a report candidate: archived and extracted) | "listing" (WARC only)
    referrer: str | None = None
    request_body: str | None = None
    request_headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
    agency_hint: str | None = None
    year_hint: int | None = None
    tls: str | None = None  # https only: what was seen of the certificate (crawler.tls)
