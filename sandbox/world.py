"""The sandbox's world: governments, their departments and townships, the portals that carry their reports.

A world is a pure function of (seed, scale). `scale` is the number of government portals; each carries its own
report column plus the columns of its departments and townships (site consolidation, 集约化), so a world has
about 15 × scale agencies on somewhat more than scale hosts (some departments run a site of their own, and one
portal of every world is down). Only these light descriptors live in memory; pages and documents are generated
on request from them.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sandbox import names
from sandbox.seeding import chance, rng

FAMILIES = ("trs_static", "trs_dynamic", "hanweb", "gkmlpt", "vsb", "generic")
# How a portal's report column is divided (domain.md §5 "Aggregation on county and city portals").
LAYOUTS = ("flat", "by_year", "by_year_unit", "by_unit")
YEARS = tuple(range(2019, 2026))
# Host-level hazards, two per portal in rotation, so that every kind occurs in any world of ≥ 7 portals; the order
# keeps two WAFs off one host (no site sits behind two).
HAZARDS = ("calendar_trap", "waf_200", "infinite_pagination", "waf_412", "session_ids", "waf_521", "soft_404",
           "flaky_500", "huge_attachment", "slow", "redirect_loop", "robots", "https_home")
ENCODINGS = ("utf-8", "gbk-declared-utf-8", "gbk-declared-latin1", "gbk-undeclared")
REGISTRY_HEADER = ("name", "level", "kind", "division_code", "parent", "portal_url", "column_urls", "platform",
                   "enabled")


@dataclass(frozen=True, slots=True)
class Agency:
    name: str
    level: str  # province | prefecture | county | township | department
    kind: str  # government | department
    division_code: str
    parent: str
    slug: str  # pinyin initials: URL segments and gkmlpt directories
    portal: str  # host of the portal whose report column carries its reports
    own_site: str | None = None  # host of its own site, which carries the same reports again
    in_registry: bool = True  # False: only a crawler that reads the county portal discovers it

    @property
    def short(self) -> str:
        """The name as report titles of governments use it: 安平县 for 安平县人民政府."""
        return self.name.removesuffix("人民政府")


@dataclass(frozen=True, slots=True)
class Portal:
    index: int
    host: str
    owner: Agency
    family: str
    layout: str
    units: tuple[Agency, ...]  # agencies whose reports its report column carries, the owner first
    site_code: str  # 网站标识码
    openness: tuple[str, str]  # the 政务公开 section: (title, path segment)
    column: tuple[str, str]  # the report column: (title, path segment)
    encoding: str
    hazards: tuple[str, ...]
    page_size: int
    down: bool = False
    known_columns: bool = False  # the registry row names the report column (crawls may start there)
    port: int | None = None  # IP-only portals answer on a port of their own (domain.md §5 hazards)
    clone: str | None = None  # host of a spam site cloning this portal's pages (domain.md §4)
    annual_jsp: bool = False  # Hanweb: some reports only at /module/xxgk/xxgkAnnualReport.jsp (domain.md §5)
    years: tuple[int, ...] = ()  # the years it published reports for, when fewer than the world's (an old portal)

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    @property
    def url(self) -> str:
        return f"http://{self.netloc}/"


@dataclass(frozen=True, slots=True)
class Decoy:
    """A site a discovery crawler meets that must not be bound as it claims (`sandbox.province`)."""

    url: str
    kind: str  # clone | abolished | moved | dead | robots
    claims: str  # the agency it names (clones and abolished portals name it in their SiteName and SiteIDCode)
    detail: str


@dataclass(frozen=True, slots=True)
class ChildSite:
    """An entry of a portal's list of child sites: a portal, or (`column_of`, on a shared platform) the report
    column the listing portal itself carries for that government."""

    title: str
    url: str
    column_of: Agency | None = None


@dataclass(frozen=True)
class Discovery:
    """What only province worlds have (`sandbox.province`): the links between portals that discovery follows."""

    provinces: tuple[str, ...]
    seeds: tuple[str, ...]  # the provincial portals' URLs: where discovery starts
    children: dict[str, tuple[ChildSite, ...]]  # host → the child sites its home page lists
    scripted: frozenset[str]  # hosts whose child list is only in a script (JS-only navigation)
    friends: dict[str, tuple[tuple[str, str], ...]]  # host → its 友情链接 block (decoys are linked from there)
    moved: dict[str, str]  # old host → the host it redirects to
    decoys: tuple[Decoy, ...]


@dataclass(frozen=True)
class World:
    seed: int
    scale: int
    portals: tuple[Portal, ...]
    by_host: dict[str, Portal] = field(repr=False)
    clones: dict[str, Portal] = field(repr=False, default_factory=dict)  # spam host → the portal it copies
    years: tuple[int, ...] = YEARS  # the report years its agencies publish
    discovery: Discovery | None = field(repr=False, default=None)

    def portal(self, host: str) -> Portal | None:
        return self.by_host.get(host.lower().split(":")[0])

    def cloned(self, host: str) -> Portal | None:
        return self.clones.get(host.lower().split(":")[0])

    def agencies(self) -> list[Agency]:
        """Every agency once, in portal order (a department with its own site is listed under its county)."""
        seen: dict[str, Agency] = {}
        for portal in self.portals:
            for unit in portal.units:
                seen.setdefault(unit.name, unit)
        return list(seen.values())


class Namer:
    """Unique place names and hosts within one world."""

    def __init__(self, seed: int):
        self.seed = seed
        self.names: set[str] = set()
        self.hosts: set[str] = set()

    def place(self, *parts: object, taken: set[str] | None = None) -> tuple[str, str]:
        """A two-syllable name unused in `taken` (default: the world's county-level and city names)."""
        taken = self.names if taken is None else taken
        r = rng(self.seed, "place", *parts)
        for _ in range(1000):
            (a, pa), (b, pb) = r.sample(names.SYLLABLES, 2)
            if a + b not in taken:
                taken.add(a + b)
                return a + b, pa + pb
        raise RuntimeError("ran out of place names")

    def host(self, stem: str, suffix: str) -> str:
        # Real portals resolve clashes the same way: anping.gov.cn is taken, so anpingxian.gov.cn.
        for candidate in (stem, stem + suffix, *(f"{stem}{suffix}{n}" for n in range(2, 100))):
            host = f"www.{candidate}.gov.cn"
            if host not in self.hosts:
                self.hosts.add(host)
                return host
        raise RuntimeError(f"no free host for {stem}")


def _level(index: int) -> str:
    if index % 40 == 20:
        return "province"
    return "prefecture" if index % 12 == 6 else "county"


def _family(seed: int, index: int, province: names.Province) -> str:
    if index < len(FAMILIES):  # the first portals show every family once
        return FAMILIES[index]
    return rng(seed, "family", index).choice(province.families)


def _province(seed: int, index: int) -> names.Province:
    if index < len(FAMILIES):
        return next(p for p in names.PROVINCES if p.families[0] == FAMILIES[index])
    return rng(seed, "province", index).choice(names.PROVINCES)


def _units(seed: int, gov: Agency, level: str, namer: Namer, host: str) -> list[Agency]:
    r = rng(seed, "units", gov.name)
    pool = names.PROVINCE_DEPARTMENTS if level == "province" else names.DEPARTMENTS
    count = r.randint(5, 8) if level == "province" else r.randint(6, 14)
    depts = [Agency(gov.short + dept, "department", "department", "", gov.name, slug, host,
                    in_registry=chance(0.9, seed, "registered", gov.name, dept))
             for dept, slug in pool[:4] + tuple(r.sample(pool[4:], count - 4))]
    townships: list[Agency] = []
    if level == "county":
        local: set[str] = set()  # township names repeat across counties (城关镇 is everywhere), not within one
        for n in range(r.randint(2, 6)):
            stem, pinyin = namer.place("township", gov.name, n, taken=local)
            suffix = r.choice(names.TOWNSHIP_SUFFIXES)
            name = gov.short + stem + ("街道办事处" if suffix == "街道" else suffix + "人民政府")
            townships.append(Agency(name, "township", "government", f"{gov.division_code}{101 + n:03d}", gov.name,
                                    pinyin + {"镇": "z", "乡": "x", "街道": "jd"}[suffix], host,
                                    in_registry=chance(0.7, seed, "registered", name)))
    return depts + townships


# Public addresses of the kind real IP-only portals use (never private, loopback or reserved ranges).
IP_PREFIXES = (122, 218, 61, 59, 220, 202, 123)
IP_PORTS = (8080, 8081, 8000, 8088, 9090)
# Spam clones copy a government portal under a domain made to look like it (domain.md §4).
CLONE_FORMS = ("{stem}-gov.cn", "{host}.{word}.com", "{stem}gov.net", "{host}.{word}.cc")
CLONE_WORDS = ("zwgk", "xxgkw", "govinfo", "zfgk")


def _ip_only(index: int, level: str) -> bool:
    """A few county portals live at a public IP and port instead of a domain."""
    return level == "county" and index % 8 == 5


def _ip_host(seed: int, index: int) -> tuple[str, int]:
    r = rng(seed, "ip", index)
    return f"{r.choice(IP_PREFIXES)}.{r.randint(1, 254)}.{r.randint(1, 254)}.{r.randint(2, 253)}", r.choice(IP_PORTS)


def _clone_host(seed: int, index: int, host: str) -> str | None:
    """The spam clone of every fifth portal (the first among them): lists there carry a link to the copy."""
    if index % 5 != 0 or not host.startswith("www."):
        return None
    r = rng(seed, "clone", index)
    stem = host.removeprefix("www.").removesuffix(".gov.cn")
    return "www." + r.choice(CLONE_FORMS).format(stem=stem, host=host.removeprefix("www."), word=r.choice(CLONE_WORDS))


def _hazards(index: int) -> tuple[str, ...]:
    return HAZARDS[(2 * index) % len(HAZARDS)], HAZARDS[(2 * index + 1) % len(HAZARDS)]


def _portal_style(seed: int, index: int, family: str) -> dict:
    r = rng(seed, "style", index)
    layout = "by_unit" if family == "gkmlpt" else (LAYOUTS[index % 4] if index < 12 else r.choice(LAYOUTS))
    return {
        "layout": layout,
        "openness": r.choice(names.OPENNESS_ROOTS),
        "column": r.choice(names.REPORT_COLUMNS),
        # One portal in five serves GBK pages, declared wrongly or not at all (domain.md §5 hazards).
        "encoding": ENCODINGS[1 + (index // 5) % 3] if index % 5 == 4 else "utf-8",
        "page_size": r.choice((15, 20, 20, 25)),
        # Registry rows of portals whose home redirects to https must name the column, or nothing is reachable.
        "known_columns": chance(0.4, seed, "known", index) or "https_home" in _hazards(index),
    }


def build_world(seed: int = 1, scale: int = 7) -> World:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    namer = Namer(seed)
    portals: list[Portal] = []
    county_codes: dict[str, int] = {}
    provinces_used: set[str] = set()
    for index in range(scale):
        province = _province(seed, index)
        level = _level(index)
        if level == "province" and province.name in provinces_used:
            level = "prefecture"
        family = _family(seed, index, province)
        city_stem, city_pinyin = namer.place("city", index)
        if level == "province":
            provinces_used.add(province.name)
            gov_name, parent, code = province.name + "人民政府", "国务院", province.code + "0000"
            host = namer.host(province.abbr, "sheng")
        else:
            n = county_codes[province.code] = county_codes.get(province.code, 0) + 1
            if level == "prefecture":
                gov_name, parent = f"{city_stem}市人民政府", province.name + "人民政府"
                code = f"{province.code}{n % 90 + 1:02d}00"
                host = namer.host(city_pinyin, "shi")
            else:
                stem, pinyin = namer.place("county", index)
                suffix = rng(seed, "suffix", index).choice(("县", "县", "县", "区", "市"))
                gov_name, parent = f"{stem}{suffix}人民政府", f"{city_stem}市人民政府"
                code = f"{province.code}{n // 30 + 1:02d}{n % 30 + 21:02d}"
                host = namer.host(pinyin, {"县": "xian", "区": "qu", "市": "shi"}[suffix])
        port = None
        if _ip_only(index, level) and family != "gkmlpt":
            namer.hosts.discard(host)
            host, port = _ip_host(seed, index)
        gov = Agency(gov_name, level, "government", code, parent, "bgs", host)
        style = _portal_style(seed, index, family)
        units = [gov, *_units(seed, gov, level, namer, host)]
        site_code = f"{code}{index % 9000 + 1:04d}"
        # Poison documents on the first portal only: every world has them, and the rotation stays as it was.
        hazards = _hazards(index) + (("poison_documents",) if index == 0 else ())
        own_site = None
        # About a third of portals have one department that also runs a site of its own.
        if (chance(0.35, seed, "own-site", index) or index == 1) and port is None:
            dept = units[1 + rng(seed, "own-site-dept", index).randrange(len(units) - 1)]
            if dept.kind == "department":
                own_site = Agency(dept.name, dept.level, dept.kind, dept.division_code, dept.parent, dept.slug,
                                  host, f"{dept.slug}.{host.removeprefix('www.')}", dept.in_registry)
                units[units.index(dept)] = own_site
        portals.append(Portal(len(portals), host, gov, family, units=tuple(units), site_code=site_code, hazards=hazards,
                              port=port, clone=_clone_host(seed, index, host),
                              # the first Hanweb portal of every world, and half the others
                              annual_jsp=family == "hanweb" and (index == 2 or chance(0.5, seed, "jsp", index)),
                              **style))
        if own_site and own_site.own_site:
            dept_family = rng(seed, "dept-family", index).choice(("trs_static", "generic", "vsb", family))
            if dept_family == "gkmlpt":
                dept_family = "trs_static"
            portals.append(Portal(
                len(portals), own_site.own_site, own_site, dept_family, "flat", (own_site,),
                site_code=f"{code}{(index + 4500) % 9000 + 1:04d}", openness=("信息公开", "xxgk"),
                column=("政府信息公开年报", "zfxxgknb"), encoding="utf-8",
                # A department site disallowing every robot: its reports stay reachable on the county portal.
                hazards=("robots_all",) if index == 1 else (), page_size=15))
    portals.append(_down_portal(seed, namer, len(portals)))
    return World(seed, scale, tuple(portals), {p.host: p for p in portals},
                 {p.clone: p for p in portals if p.clone})


def _down_portal(seed: int, namer: Namer, index: int) -> Portal:
    """A county whose portal does not answer: the registry names it; a crawler must report it unreachable."""
    stem, pinyin = namer.place("down", index)
    province = rng(seed, "down-province").choice(names.PROVINCES)
    host = namer.host(pinyin, "xian")
    gov = Agency(f"{stem}县人民政府", "county", "government", f"{province.code}9921", f"{stem}市人民政府", "bgs", host)
    return Portal(index, host, gov, "trs_static", "flat", (gov,), f"{province.code}99210001", ("政务公开", "zwgk"),
                  ("政府信息公开年报", "zfxxgknb"), "utf-8", (), 20, down=True)


def registry_rows(world: World, column_url) -> list[dict[str, str]]:
    """The registry in the crawler's CSV format; `column_url(portal)` gives a portal's report column URL.

    Departments without a site of their own are listed with the portal that carries their reports; agencies
    with `in_registry` false are left out for the crawler to discover.
    """
    owned = {p.owner.name: p for p in world.portals}
    rows = []
    for unit in world.agencies():
        if not unit.in_registry:
            continue
        home = owned.get(unit.name)
        if unit.own_site:
            home = world.portal(unit.own_site)
        listed = home or world.portal(unit.portal)
        assert listed is not None, f"{unit.name}'s portal {unit.portal} is not in the world"
        rows.append({
            "name": unit.name, "level": unit.level, "kind": unit.kind, "division_code": unit.division_code,
            "parent": unit.parent,
            "portal_url": listed.url,
            "column_urls": column_url(home) if home and home.known_columns and not home.down else "",
            "platform": home.family if home and chance(0.5, world.seed, "hint", unit.name) else "",
            "enabled": "true",
        })
    return rows


def registry_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REGISTRY_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
