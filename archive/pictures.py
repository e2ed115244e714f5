"""Pages whose tables are published as pictures: the page and its pictures are fetched apart (perhaps by different
crawl workers, in either order), so they are read together here, once they are in the archive.

A picture's capture names the page it was found on (its referrer). Whenever a page that may show its tables as
pictures (a report without table cells) or such a picture is ingested, the page's latest capture is read again with
the tables of the latest capture of each picture it shows (`pipelines.extract.extract_page`; a picture's tables come
with its own extraction, so it is not read twice), and that joint reading becomes the page's extraction. The result
lists the pictures it read (URL and digest), so the same page with the same pictures is not read again and a re-run
changes nothing; a picture that changed is read in. Until its pictures arrive, or when they never do, the page is a
report with its text and the warnings of tables not found.

The joint reading belongs to the page's bytes: a picture replaced under an unchanged page changes that version's
cells rather than adding a version (the old picture's capture stays archived); a page re-published with its
pictures is a new version as any other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from sqlalchemy import Connection, select

from archive.blobs import BlobStore
from archive.models import T


@dataclass(frozen=True)
class Page:
    """A page's latest capture and the latest capture of each picture found on it."""

    url: str
    sha: str
    size: int
    agency_hint: str | None
    year_hint: int | None
    pictures: tuple[tuple[str, str], ...]  # (URL, sha256), in the order the page shows them

    def listing(self) -> list[dict[str, str]]:
        """What a joint reading records of the pictures it read."""
        return [{"url": url, "sha256": sha} for url, sha in self.pictures]


def _latest(rows: list[Any], key: Any) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for row in sorted(rows, key=lambda r: (r.fetched_at, r.id)):
        out[key(row)] = row
    return out


def pages_with_pictures(conn: Connection, urls: set[str]) -> list[Page]:
    """The pages at `urls` that have pictures archived, with those pictures."""
    cap, blob = T["captures"], T["blobs"]
    if not urls:
        return []
    shown = _latest(conn.execute(
        select(cap.c.id, cap.c.referrer, cap.c.final_url, cap.c.sha256, cap.c.fetched_at)
        .join(blob, blob.c.sha256 == cap.c.sha256)
        .where(cap.c.referrer.in_(urls), blob.c.format == "image")).all(), lambda r: (r.referrer, r.final_url))
    if not shown:
        return []
    pages = _latest(conn.execute(
        select(cap.c.id, cap.c.final_url, cap.c.sha256, cap.c.fetched_at, cap.c.agency_hint, cap.c.year_hint,
               blob.c.size)
        .join(blob, blob.c.sha256 == cap.c.sha256)
        .where(cap.c.final_url.in_({page for page, _ in shown}), blob.c.format == "html")).all(),
        lambda r: r.final_url)
    out = []
    for url, page in sorted(pages.items()):
        pictures = {final_url: row.sha256 for (referrer, final_url), row in shown.items() if referrer == url}
        out.append(Page(url, page.sha256, page.size, page.agency_hint, page.year_hint, tuple(pictures.items())))
    return out


def in_page_order(page: bytes, url: str, pictures: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The pictures in the order the page's <img> tags show them (the tables' order); others after, by URL."""
    try:
        tree = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return tuple(sorted(pictures))
    position: dict[str, int] = {}
    for img in tree.iter("img"):
        if img.get("src"):
            position.setdefault(urljoin(url, img.get("src").strip()), len(position))
    return tuple(sorted(pictures, key=lambda p: (position.get(p[0], len(position)), p[0])))


def find(conn: Connection, urls: set[str], blobs: BlobStore) -> list[Page]:
    """`pages_with_pictures`, the pictures in the page's order."""
    return [Page(p.url, p.sha, p.size, p.agency_hint, p.year_hint, in_page_order(blobs.get(p.sha), p.url, p.pictures))
            for p in pages_with_pictures(conn, urls)]


def read_together(page: Page, blobs: BlobStore, shown: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The joint reading of a page and its pictures (`shown`: each picture's URL and extraction result, whose
    tables go with it), as an extraction result that lists the pictures read."""
    from pipelines.extract import extract_page
    return {**extract_page(blobs.get(page.sha), page.url, shown).as_dict(), "pictures": page.listing()}


def is_table_picture(result: dict[str, Any]) -> bool:
    from pipelines.extract import TABLE_PICTURE
    return result.get("reason") == TABLE_PICTURE


def may_show(result: dict[str, Any]) -> bool:
    """A report page without any table cell, or a report's title over nothing but pictures (no report by itself):
    its tables may be pictures on it."""
    from pipelines.classify import NO_BODY
    if result.get("format") != "html":
        return False
    if result.get("reason") == NO_BODY:
        return True
    return bool(result.get("is_report")) and not any(v is not None for v in (result.get("fields") or {}).values())
