"""What one portal publishes: its column tree and its items (reports, near-misses, news), independent of the CMS.

`build_site` is a pure function of the world and a portal; the platform modules turn its columns and items into
their own URLs and markup. A site holds a few hundred small records and is rebuilt on demand (the server keeps a
bounded LRU of them), so memory does not grow with the size of the world.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sandbox import texts
from sandbox.reports.html_page import EDITORS
from sandbox.reports.variants import TITLE_PATTERNS
from sandbox.seeding import chance, digest, rng
from sandbox.timeline import publication
from sandbox.world import Agency, Portal, World

# Attachment formats LibreOffice or python-docx must produce: each costs about a second, so a world holds a bounded
# number of them (see `document_slots`); XLSX is drawn directly and may appear anywhere.
SLOW_FORMATS = ("pdf", "docx", "doc", "wps", "xls")


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # "nb", "nb/2022", "nb/2022/bm", "nb/jyj", "gk/jyj/nb", "news", …
    title: str
    slug: str  # the last URL segment
    cid: int  # numeric id: Hanweb col ids, VSB/gkmlpt column ids, TRS channel ids
    parent: str | None
    children: tuple[str, ...] = ()
    unit: Agency | None = None  # whose column it is, in per-unit layouts and gkmlpt directories


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    kind: str  # report | a texts.NEAR_MISS_TITLES kind | news | notice | policy | compilation (huge scan) | dead
    title: str
    published: dt.date
    column: str
    unit: Agency | None = None
    year: int | None = None
    template: str | None = None
    form: str = "html"  # html | html+att (body and attachment) | att (attachment only) | image (tables as images)
    fmt: str | None = None  # the attachment's format
    editor: str = "plain"
    url_date: dt.date | None = None
    deadline: dt.date | None = None
    revised: dt.date | None = None  # from this day the page shows a second version with other numbers
    reuploaded: dt.date | None = None  # from this day the attachment is new bytes with the same content
    huge: bool = False
    poison: str | None = None  # poison documents: the payload served instead of the page (sandbox.poison.PAYLOADS)
    parts: int = 1  # TRS articles split over `t…_1.html`, `t…_2.html`, … (a table spans the break)

    @property
    def has_attachment(self) -> bool:
        return self.form in ("html+att", "att")

    @property
    def url_day(self) -> dt.date:
        return self.url_date or self.published


@dataclass(frozen=True, eq=False)  # hashed by identity: per-site caches key on the object
class Site:
    world: World
    portal: Portal
    columns: dict[str, Column]
    items: dict[int, Item] = field(repr=False)
    listings: dict[str, tuple[Item, ...]] = field(repr=False)  # newest first

    def visible(self, key: str, today: dt.date) -> list[Item]:
        return [i for i in self.listings.get(key, ()) if i.published <= today]

    def item(self, item_id: int, today: dt.date) -> Item | None:
        item = self.items.get(item_id)
        return item if item and item.published <= today else None

    def by_cid(self, cid: int) -> Column | None:
        return next((c for c in self.columns.values() if c.cid == cid), None)

    def report_columns(self) -> list[Column]:
        """The report column and everything under it (for gkmlpt: every directory's report column)."""
        return [c for c in self.columns.values() if c.key == "nb" or c.key.startswith("nb/") or c.key.endswith("/nb")]


def document_slots(world: World, per_format: int) -> dict[tuple[str, int], str]:
    """(agency name, year) → slow format, for at most `per_format` reports per format in the whole world."""
    slots: dict[tuple[str, int], str] = {}
    live = [p for p in world.portals if not p.down]
    for fmt in SLOW_FORMATS:
        for k in range(per_format):
            r = rng(world.seed, "slot", fmt, k)
            portal = live[r.randrange(len(live))] if k else live[SLOW_FORMATS.index(fmt) % len(live)]
            unit = portal.units[r.randrange(len(portal.units))]
            slots.setdefault((unit.name, r.choice(world.years[2:] or world.years)), fmt)
    return slots


# --- the column tree --------------------------------------------------------------------------------------------

class _Tree:
    def __init__(self, seed: int, host: str):
        self.r = rng(seed, "cids", host)
        self.next_cid = self.r.randint(1000, 9000)
        self.cols: dict[str, dict] = {}

    def add(self, key: str, title: str, slug: str, parent: str | None, unit: Agency | None = None) -> str:
        self.next_cid += self.r.randint(1, 60)
        self.cols[key] = {"key": key, "title": title, "slug": slug, "cid": self.next_cid, "parent": parent,
                          "unit": unit, "children": []}
        if parent:
            self.cols[parent]["children"].append(key)
        return key

    def freeze(self) -> dict[str, Column]:
        return {k: Column(**{**v, "children": tuple(v["children"])}) for k, v in self.cols.items()}


YEAR_SLUGS = ("{y}", "{y}n", "{y}nd", "nb{y}")
# Province worlds (`sandbox.province`): the owner's reports in the report column, its townships' (and, on a shared
# platform, its counties') in per-unit sub-columns of a group below it (TRS `zfxxgknb/xzjd/<slug>/`), and each
# department's in the 年报 column of its own folder of the department directory (TRS `bmxxgk/<slug>/`). Some TRS
# portals file townships by year first (`zfxxgknb/{Y}/xzjd/<slug>/`): a column per township and year.
DIRECTORY = "directory"
DIRECTORY_BY_YEAR = "directory_by_year"
DIRECTORY_TITLES = {"hanweb": ("信息公开部门目录", "bmml"), "vsb": ("部门信息公开", "bmgk")}
DEFAULT_DIRECTORY = ("部门信息公开", "bmxxgk")


def _place_group(unit: Agency) -> tuple[str, str]:
    """The sub-column group of a government unit shown on another government's portal: (slug, title)."""
    return ("xzjd", "乡镇（街道）年报") if unit.level == "township" else ("xqzf", "县（市、区）政府年报")


GROUPS = (("bj", "政府年报", "{y}zfnb"), ("bm", "部门年报", "{y}bmdnbg"), ("xz", "乡镇（街道）年报", "{y}xzjdnb"))


def _group(unit: Agency) -> str:
    if unit.level == "township":
        return "xz"
    return "bm" if unit.kind == "department" else "bj"


def _report_column(portal: Portal, unit: Agency, year: int) -> str:
    if portal.family == "gkmlpt":
        return f"gk/{unit.slug}/nb"
    if portal.layout in (DIRECTORY, DIRECTORY_BY_YEAR):
        if unit is portal.owner:
            return "nb"
        if unit.kind == "department":
            return f"gk/{unit.slug}/nb"
        if portal.layout == DIRECTORY_BY_YEAR and unit.level == "township":
            return f"nb/{year}/xzjd/{unit.slug}"
        return f"nb/{_place_group(unit)[0]}/{unit.slug}"
    return {"flat": "nb", "by_year": f"nb/{year}", "by_year_unit": f"nb/{year}/{_group(unit)}",
            "by_unit": f"nb/{unit.slug}"}[portal.layout]


def unit_columns(portal: Portal, unit: Agency, years: tuple[int, ...]) -> list[str]:
    """The keys of the columns that carry `unit`'s reports on `portal`, the newest year's first (layouts with
    columns of their own for each unit)."""
    if portal.family != "gkmlpt" and portal.layout not in (DIRECTORY, DIRECTORY_BY_YEAR, "by_unit"):
        raise ValueError(f"{portal.host}: the {portal.layout} layout has no column per unit")
    return list(dict.fromkeys(_report_column(portal, unit, y) for y in sorted(years, reverse=True)))


# Hanweb's information-disclosure platform: reports by (year, unit credit code), outside every column tree.
ANNUAL_JSP = "xxgk/nb"


def annual_jsp_only(seed: int, portal: Portal, unit: Agency) -> bool:
    """On portals with the xxgkAnnualReport.jsp module, the owner's reports and some units' are published there
    only (domain.md §5 and §6 item 22)."""
    return portal.annual_jsp and (unit is portal.owner or chance(0.3, seed, "jsp-unit", unit.name))


def paged_article(seed: int, portal: Portal, unit: Agency, year: int, form: str) -> int:
    """How many pages a TRS report article runs to: a few long ones continue in `t…_1.html` (domain.md §5)."""
    if portal.family not in ("trs_static", "trs_dynamic") or form not in ("html", "html+att"):
        return 1
    return rng(seed, "pages", unit.name, year).choice((2, 2, 3)) if chance(0.1, seed, "paged", unit.name, year) else 1


def _columns(world: World, portal: Portal) -> dict[str, Column]:
    t = _Tree(world.seed, portal.host)
    r = rng(world.seed, "column-names", portal.host)
    t.add("news", r.choice(("新闻动态", "工作动态", "政务要闻")), r.choice(("xwdt", "gzdt", "zwyw")), None)
    t.add("notice", "通知公告", "tzgg", None)
    t.add("policy", r.choice(("政策文件", "文件资料")), r.choice(("zcwj", "wjzl")), None)
    if chance(0.5, world.seed, "wzbb", portal.host):
        t.add("wzbb", "政府网站工作年度报表", "wzndbb", None)
    if portal.family == "gkmlpt":
        t.add("nb", "政府信息公开目录", "gkml", None)
        for unit in portal.units:
            t.add(f"gk/{unit.slug}", unit.name, unit.slug, "nb", unit)
            t.add(f"gk/{unit.slug}/nb", "政府信息公开年报", "nb", f"gk/{unit.slug}", unit)
            t.add(f"gk/{unit.slug}/zc", "政策文件", "zc", f"gk/{unit.slug}", unit)
        return t.freeze()
    title, slug = portal.column
    t.add("nb", title, slug, None)
    if portal.annual_jsp:
        t.add(ANNUAL_JSP, "政府信息公开年度报告", "xxgkAnnualReport", None)
    year_slug = r.choice(YEAR_SLUGS)
    if portal.layout in (DIRECTORY, DIRECTORY_BY_YEAR):
        _directory(t, portal, portal.years or world.years, year_slug)
    elif portal.layout in ("by_year", "by_year_unit"):
        for y in reversed(world.years):
            t.add(f"nb/{y}", f"{y}年度", year_slug.format(y=y), "nb")
            if portal.layout == "by_year_unit":
                for g, gtitle, gslug in GROUPS:
                    if g != "xz" or any(u.level == "township" for u in portal.units):
                        t.add(f"nb/{y}/{g}", gtitle, gslug.format(y=y), f"nb/{y}")
    elif portal.layout == "by_unit":
        for unit in portal.units:
            title = "本级年报" if unit is portal.owner else unit.name
            t.add(f"nb/{unit.slug}", title, f"bm_{t.next_cid % 100000}" if unit.kind == "department" else unit.slug,
                  "nb", unit)
    return t.freeze()


def _directory(t: _Tree, portal: Portal, years: tuple[int, ...], year_slug: str) -> None:
    """The DIRECTORY layouts' columns (see DIRECTORY)."""
    places = [u for u in portal.units[1:] if u.kind == "government"]
    by_year = [u for u in places if portal.layout == DIRECTORY_BY_YEAR and u.level == "township"]
    for y in reversed(years) if by_year else ():
        t.add(f"nb/{y}", f"{y}年度", year_slug.format(y=y), "nb")
        t.add(f"nb/{y}/xzjd", "乡镇（街道）年报", "xzjd", f"nb/{y}")
        for unit in by_year:
            t.add(f"nb/{y}/xzjd/{unit.slug}", unit.name, unit.slug, f"nb/{y}/xzjd", unit)
    places = [u for u in places if u not in by_year]
    for slug, title in dict.fromkeys(_place_group(u) for u in places):
        t.add(f"nb/{slug}", title, slug, "nb")
    for unit in places:
        t.add(f"nb/{_place_group(unit)[0]}/{unit.slug}", unit.name, unit.slug, f"nb/{_place_group(unit)[0]}", unit)
    departments = [u for u in portal.units if u.kind == "department"]
    if departments:
        title, slug = DIRECTORY_TITLES.get(portal.family, DEFAULT_DIRECTORY)
        t.add("bmxxgk", title, slug, None)
        for unit in departments:
            t.add(f"gk/{unit.slug}", unit.name, unit.slug, "bmxxgk", unit)
            t.add(f"gk/{unit.slug}/nb", "政府信息公开年报", portal.column[1], f"gk/{unit.slug}", unit)


# --- the items --------------------------------------------------------------------------------------------------

def _report_form(seed: int, unit: Agency, year: int, slots: dict[tuple[str, int], str]) -> tuple[str, str | None]:
    if fmt := slots.get((unit.name, year)):
        return ("att" if chance(0.6, seed, "att-only", unit.name, year) else "html+att"), fmt
    # Tables only as images are rare (OCR is the slowest path of the crawler's pipeline, and of real life).
    x = rng(seed, "form", unit.name, year).random()
    if x < 0.75:
        return "html", None
    if x < 0.87:
        return "html+att", "xlsx"
    if x < 0.96:
        return "att", "xlsx"
    return "image", None


def report_title(seed: int, unit: Agency, year: int) -> tuple[str, bool]:
    """(the title, whether it states the year): a few titles leave the year to the 统计期限 sentence."""
    r = rng(seed, "title", unit.name, year)
    if r.random() < 0.04:
        return f"{unit.name}政府信息公开工作年度报告", False
    return r.choice(TITLE_PATTERNS).format(agency=unit.name, year=year), True


def _reports(world: World, portal: Portal, slots: dict) -> list[dict]:
    out = []
    for unit in portal.units:
        for year in portal.years or world.years:
            pub = publication(world.seed, unit, year)
            if pub is None:
                continue
            form, fmt = _report_form(world.seed, unit, year, slots)
            title = report_title(world.seed, unit, year)[0]
            column = ANNUAL_JSP if annual_jsp_only(world.seed, portal, unit) else _report_column(portal, unit, year)
            out.append({"kind": "report", "title": title, "published": pub.published, "unit": unit, "year": year,
                        "template": pub.template, "form": form, "fmt": fmt, "url_date": pub.url_date,
                        "deadline": pub.deadline, "column": column,
                        "parts": paged_article(world.seed, portal, unit, year, form),
                        "editor": rng(world.seed, "editor", unit.name, year).choice(EDITORS)})
    return out


def _near_misses(world: World, portal: Portal, columns: dict[str, Column]) -> list[dict]:
    gov, out = portal.owner, []
    r = rng(world.seed, "near-miss", portal.host)
    for year in portal.years or world.years:
        kinds = [k for k, p in (("interpretation", 0.5), ("website_report", 0.6), ("deployment", 0.5),
                                ("meeting", 0.2), ("rule_of_law", 0.4), ("work_report", 0.3),
                                ("performance", 0.3), ("cover_letter", 0.12), ("evaluation", 0.25))
                 if r.random() < p]
        for kind in kinds:
            unit = r.choice(portal.units[1:]) if kind in ("cover_letter", "performance") and len(portal.units) > 1 \
                else gov
            when = dt.date(year + 1, r.randint(1, 4), r.randint(1, 28))
            if kind == "deployment":
                when = dt.date(year, 12, r.randint(1, 28))
            if kind == "website_report" and "wzbb" in columns:
                column = "wzbb"  # its own column beside the report column, as many portals have
            elif kind in ("interpretation", "deployment", "meeting", "cover_letter", "website_report", "evaluation"):
                column = _report_column(portal, unit, year)
            else:
                column = r.choice(("notice", "policy"))
            title = texts.near_miss_title(kind, r, unit.name, unit.short, year)
            out.append({"kind": kind, "title": title, "published": when, "unit": unit, "year": year,
                        "column": column})
    root = "gk/bgs/nb" if portal.family == "gkmlpt" else "nb"
    out.append({"kind": "system_doc", "title": texts.near_miss_title("system_doc", r, gov.name, gov.short, 2019),
                "published": dt.date(2019, 6, r.randint(1, 28)), "unit": gov, "year": None, "column": root})
    out.append({"kind": "national_notice", "title": texts.near_miss_title("national_notice", r, "", "", 2021),
                "published": dt.date(2021, 10, r.randint(8, 28)), "unit": gov, "year": None, "column": root})
    return out


def _routine(world: World, portal: Portal) -> list[dict]:
    r = rng(world.seed, "routine", portal.host)
    gov, out = portal.owner, []
    span = (dt.date(2026, 4, 28) - dt.date(2019, 1, 2)).days
    counts = {"news": r.randint(60, 180), "notice": r.randint(15, 45), "policy": r.randint(10, 35)}
    for kind, count in counts.items():
        for _ in range(count):
            unit = r.choice(portal.units) if kind == "news" else gov
            column = f"gk/{unit.slug}/zc" if kind == "policy" and portal.family == "gkmlpt" else kind
            out.append({"kind": kind, "title": texts.routine_title(kind, r, unit.name, gov.short),
                        "published": dt.date(2019, 1, 2) + dt.timedelta(days=r.randrange(span)), "unit": unit,
                        "year": None, "column": column})
    return out


# The poison documents' titles in the listing: a report's, as far as a listing can tell.
POISON_LABELS = {"far_cells": "附表", "damaged_deflate": "统计表", "zip_bomb": "数据", "span_bomb": "全文"}


def _hazard_items(world: World, portal: Portal, reports: list[dict]) -> list[dict]:
    out = []
    gov = portal.owner
    if "huge_attachment" in portal.hazards:
        year = 2022
        out.append({"kind": "compilation", "title": f"{gov.short}{year}年度政府信息公开工作年度报告汇编（扫描件）",
                    "published": dt.date(year + 1, 4, 18), "unit": gov, "year": year, "form": "att", "fmt": "pdf",
                    "column": _report_column(portal, gov, year), "huge": True})
    if "poison_documents" in portal.hazards:
        year = 2023
        for n, (name, label) in enumerate(POISON_LABELS.items()):
            out.append({"kind": "poison", "title": f"{gov.short}{year}年政府信息公开工作年度报告（{label}）",
                        "published": dt.date(year + 1, 2, 3 + n), "unit": gov, "year": year,
                        "column": _report_column(portal, gov, year), "poison": name})
    if "soft_404" in portal.hazards and reports:
        # A second listing of a report whose page was since deleted: the link answers a soft 404.
        # (not one published only through xxgkAnnualReport.jsp: its URL names the report, not an id)
        listed = [x for x in reports if x["column"] != ANNUAL_JSP]
        victim = next((x for x in listed if x["unit"] is not gov), listed[0] if listed else None)
        if victim:
            out.append({**victim, "kind": "dead"})
    return out


def _special(world: World, portal: Portal, reports: list[dict]) -> None:
    """The world's one revised report and one re-uploaded attachment, both on its first portal."""
    if portal.index != 0:
        return
    gov_reports = [x for x in reports if x["unit"] is portal.owner and x["year"] >= 2022]
    if gov_reports:
        x = gov_reports[0]
        x["revised"] = x["published"] + dt.timedelta(days=40)
    dept_reports = [x for x in reports if x["unit"] is not portal.owner and x["year"] >= 2022]
    if dept_reports:
        x = dept_reports[0]
        x.update(form="html+att", fmt="xlsx", reuploaded=x["published"] + dt.timedelta(days=20))


def build_site(world: World, portal: Portal, slots: dict[tuple[str, int], str]) -> Site:
    columns = _columns(world, portal)
    reports = _reports(world, portal, slots)
    _special(world, portal, reports)
    raw = (reports + _near_misses(world, portal, columns) + _routine(world, portal)
           + _hazard_items(world, portal, reports))
    # Document ids grow with time, as a CMS's sequence does. Poison documents take theirs last, so that adding them
    # changed no other document's id (ids seed how a page is drawn).
    raw.sort(key=lambda x: ("poison" in x, x["published"],
                            digest(x["kind"], x["title"], x["unit"].name if x["unit"] else "", x.get("year"))))
    r = rng(world.seed, "ids", portal.host)
    next_id = r.randint(100_000, 2_000_000)
    items: dict[int, Item] = {}
    for x in raw:
        next_id += r.randint(1, 37)
        items[next_id] = Item(id=next_id, **x)
    listings: dict[str, list[Item]] = {key: [] for key in columns}
    for item in items.values():
        listings.setdefault(item.column, []).append(item)
    ordered = {k: tuple(sorted(v, key=lambda i: (i.published, i.id), reverse=True)) for k, v in listings.items()}
    return Site(world, portal, columns, items, ordered)
