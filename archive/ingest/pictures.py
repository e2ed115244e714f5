"""Pages whose tables are published as pictures: the page and its pictures are fetched apart (perhaps by different
crawl workers, in either order, in different runs when a crawl was killed), so they are read together here, once
they are in the archive.

The link is the page's own content: its <img> links, read from its bytes when it is archived (`shown`, kept in
`page_pictures` in the page's transaction), name its pictures, and a picture's capture is found by its URL — never by
the referrer its request carried (a resumed crawl asked for a known page's pictures from the listing it walked again,
and the page was never read with them). Whenever a page that may show its tables as pictures (a report without table
cells) or a picture such a page shows is ingested, the page's latest capture is read again with the tables of the
latest capture of each picture it shows (`pipelines.extract.extract_page`; a picture's tables come with its own
extraction, so it is not read twice), and that joint reading becomes the page's extraction. The result lists the
pictures it read (URL and digest), so the same page with the same pictures is not read again and a re-run changes
nothing; a picture that changed is read in. Until its pictures arrive, or when they never do, the page is a report
with its text and the warnings of tables not found. A joint reading that a kill cut off (after a picture's commit,
before the reading) is done by `Ingestor.join_all_pictures`: first thing in a crawl, last in `nianbao reparse`,
which also reads the links of pages archived before they were kept.

The joint reading belongs to the page's bytes: a picture replaced under an unchanged page changes that version's
cells rather than adding a version (the old picture's capture stays archived); a page re-published with its
pictures is a new version as any other.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

import lxml.html
from lxml import etree
from sqlalchemy import Connection, select

from archive.ingest.extracted import Extracted
from archive.store.blobs import BlobStore
from archive.store.models import T


@dataclass(frozen=True)
class Page:
    """A page's latest capture and the latest capture of each picture it shows."""

    url: str
    sha: str
    size: int
    agency_hint: str | None
    year_hint: int | None
    pictures: tuple[tuple[str, str], ...]  # (URL, sha256), in the order the page shows them

    def listing(self) -> list[dict[str, str]]:
        """What a joint reading records of the pictures it read."""
        return [{"url": url, "sha256": sha} for url, sha in self.pictures]


def _latest(rows: Sequence[Any], key: Callable[[Any], Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for row in sorted(rows, key=lambda r: (r.fetched_at, r.id)):
        out[key(row)] = row
    return out


def shown(page: bytes, url: str) -> list[str]:
    """The pictures a page shows: its <img> links, absolute (against `url`), in the page's order (the tables'
    order), each once."""
    try:
        tree = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        return []
    found: dict[str, None] = {}
    for img in tree.iter("img"):
        src = (img.get("src") or "").strip()
        if src and not src.startswith("data:"):
            found.setdefault(urldefrag(urljoin(url, src)).url)
    return list(found)


def link_rows(sha: str, page: bytes, url: str) -> list[dict[str, Any]]:
    """`page_pictures` rows of the page with bytes `page` (digest `sha`) archived at `url`."""
    return [{"sha256": sha, "position": n, "url": picture} for n, picture in enumerate(shown(page, url))]


def pages_with_pictures(conn: Connection, urls: set[str]) -> list[Page]:
    """The pages at `urls` that show pictures archived, with those pictures in the page's order."""
    cap, blob, link = T["captures"], T["blobs"], T["page_pictures"]
    if not urls:
        return []
    pages = _latest(conn.execute(
        select(cap.c.id, cap.c.final_url, cap.c.sha256, cap.c.fetched_at, cap.c.agency_hint, cap.c.year_hint,
               blob.c.size)
        .join(blob, blob.c.sha256 == cap.c.sha256)
        .where(cap.c.final_url.in_(urls), blob.c.format == "html")).all(), lambda r: r.final_url)
    links: dict[str, list[str]] = {}
    for row in conn.execute(select(link.c.sha256, link.c.url).where(
            link.c.sha256.in_({p.sha256 for p in pages.values()})).order_by(link.c.sha256, link.c.position)):
        links.setdefault(row.sha256, []).append(row.url)
    if not links:
        return []
    archived = _latest(conn.execute(
        select(cap.c.id, cap.c.final_url, cap.c.sha256, cap.c.fetched_at)
        .join(blob, blob.c.sha256 == cap.c.sha256)
        .where(cap.c.final_url.in_({u for urls in links.values() for u in urls}), blob.c.format == "image")).all(),
        lambda r: r.final_url)
    out = []
    for url, page in sorted(pages.items()):
        pictures = tuple((u, archived[u].sha256) for u in links.get(page.sha256, ()) if u in archived)
        if pictures:
            out.append(Page(url, page.sha256, page.size, page.agency_hint, page.year_hint, pictures))
    return out


def pages_showing(conn: Connection, pictures: set[str]) -> set[str]:
    """The URLs of the pages archived that show any of `pictures`."""
    cap, link = T["captures"], T["page_pictures"]
    if not pictures:
        return set()
    return set(conn.execute(select(cap.c.final_url).distinct().join(link, link.c.sha256 == cap.c.sha256)
                            .where(link.c.url.in_(pictures))).scalars())


def picture_pages(conn: Connection) -> set[str]:
    """The URLs of every page that shows an archived picture: where a joint reading may be missing, a kill having cut
    it off (whether it is, the reading's list of pictures says)."""
    cap, blob, link = T["captures"], T["blobs"], T["page_pictures"]
    pictures = (select(link.c.sha256).join(cap, cap.c.final_url == link.c.url)
                .join(blob, blob.c.sha256 == cap.c.sha256).where(blob.c.format == "image"))
    return set(conn.execute(select(cap.c.final_url).distinct().where(cap.c.sha256.in_(pictures))).scalars())


def read_together(page: Page, blobs: BlobStore, shown: list[tuple[str, Extracted]]) -> Extracted:
    """The joint reading of a page and its pictures (`shown`: each picture's URL and extraction result, whose
    tables go with it), as an extraction result that lists the pictures read."""
    from pipelines.extract import extract_page
    return Extracted.of(extract_page(blobs.get(page.sha), page.url, [(url, r.as_dict()) for url, r in shown]),
                        page.listing())


def is_table_picture(result: Extracted) -> bool:
    from pipelines.extract import TABLE_PICTURE
    return result.reason == TABLE_PICTURE


def may_show(result: Extracted) -> bool:
    """A report page without any table cell, or a report's title over nothing but pictures (no report by itself):
    its tables may be pictures on it."""
    from pipelines.classify import NO_BODY
    if result.format != "html":
        return False
    if result.reason == NO_BODY:
        return True
    return result.is_report and not any(v is not None for v in result.fields.values())


def may_show_pictures(result: Extracted) -> bool:
    """A page whose <img> links are kept (`page_pictures`): it may show its tables as pictures, or was read with
    them."""
    return may_show(result) or bool(result.pictures)
