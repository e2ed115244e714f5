"""What a page says about whose site it is (domain.md §5 and §8): `<meta name="SiteIDCode">`, `<meta
name="SiteName">`, the footer's 网站标识码 and 主办单位 lines, the `<title>`. Pure: a fetched page in, `SiteFacts` out.

A site code is 10 characters: a 6-digit division code and a 4-digit serial (`3501000001`), or `bm` + 2 digits + a
serial for central departments. The meta tag and the footer usually agree; when they do not, both are kept, and the
binding rules (`crawler.discovery.binding`) refuse to guess between them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from archive.registry.bindings import Evidence, Signal
from crawler.platforms.base import Page

CODE = re.compile(r"^(?:\d{6}|bm\d{2})\w{4}$", re.IGNORECASE)
_FOOTER_CODE = re.compile(r"网站标识码\s*[:：]?\s*((?:\d{6}|bm\d{2})\w{4})", re.IGNORECASE)
# "主办单位：福州市人民政府办公室", "主办：…", "主管主办：…"; the name ends at the next label or separator.
_SPONSOR = re.compile(r"主办(?:单位)?\s*[:：]\s*([^\s<|｜,，;；:：]{2,40}?)(?=\s|$|&nbsp;|[|｜,，;；]|承办|协办|"
                      r"网站标识码|联系|地址|技术|备案|ICP|京ICP|闽ICP|电话)")
_TITLE_SPLIT = re.compile(r"\s*[-_|｜—–·]+\s*")


@dataclass(frozen=True, slots=True)
class SiteFacts:
    """A page's claims about its owner ("" where the page makes none)."""

    url: str
    site_id_code: str = ""  # <meta name="SiteIDCode">
    footer_code: str = ""  # 网站标识码 in the footer
    site_name: str = ""  # <meta name="SiteName">
    sponsor: str = ""  # 主办单位
    title: str = ""  # <title>, whole

    @property
    def code(self) -> str:
        """The site's code when the page gives one, or gives the same one twice; "" when none, or two that differ."""
        codes = {c.upper() for c in (self.site_id_code, self.footer_code) if c}
        return codes.pop() if len(codes) == 1 else ""

    @property
    def division_code(self) -> str:
        """The division code inside the site code ("" for none, or a central department's `bm` code)."""
        return self.code[:6] if self.code[:6].isdigit() else ""

    @property
    def names(self) -> tuple[str, ...]:
        """The texts that may name the owner, most specific first: SiteName, 主办单位, the title's parts."""
        parts = [p for p in _TITLE_SPLIT.split(self.title) if p]
        return tuple(dict.fromkeys(n for n in (self.site_name, self.sponsor, *parts) if n))

    def evidence(self) -> tuple[Evidence, ...]:
        pairs = ((Signal.SITE_ID_CODE, self.site_id_code), (Signal.FOOTER_CODE, self.footer_code),
                 (Signal.SITE_NAME, self.site_name), (Signal.SPONSOR, self.sponsor), (Signal.TITLE, self.title))
        return tuple(Evidence(self.url, signal, value) for signal, value in pairs if value)


def _meta(page: Page, name: str) -> str:
    for meta in page.tree.iter("meta"):
        if (meta.get("name") or "").strip().lower() == name.lower():
            return re.sub(r"\s+", " ", meta.get("content") or "").strip()
    return ""


def site_facts(page: Page) -> SiteFacts:
    code = _meta(page, "SiteIDCode").replace(" ", "")
    text = re.sub(r"\s+", " ", "".join(page.tree.itertext()) or "").replace("\xa0", " ")
    footer = _FOOTER_CODE.search(text)
    sponsor = _SPONSOR.search(text)
    title = page.tree.find(".//title")
    return SiteFacts(page.url, code if CODE.match(code) else "", footer[1] if footer else "",
                     _meta(page, "SiteName"), sponsor[1] if sponsor else "",
                     re.sub(r"\s+", " ", "".join(title.itertext())).strip() if title is not None else "")
