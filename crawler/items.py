"""What the spider hands to the item pipeline: one exchange, with the archive's record of it."""
from __future__ import annotations

from dataclasses import dataclass, field

from archive.ingest.ingestor import Capture
from crawler.constants import Kind


@dataclass
class Fetched:
    """The archive's record of the exchange (`capture`: URLs, status, headers, time, portal, the listing's hints, what
    was seen of the certificate; the item pipeline adds the WARC record's place), and what only the WARC file keeps."""

    capture: Capture
    method: str
    headers: list[tuple[str, str]] = field(repr=False)  # as received, repeated names kept
    body: bytes = field(repr=False)
    kind: Kind
    request_body: str | None = None
    request_headers: list[tuple[str, str]] = field(default_factory=list, repr=False)
