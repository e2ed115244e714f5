"""A sandbox world on real divisions: whole provinces, the ground truth the discovery crawler is measured against
(issue 16, domain.md §5 and §8).

`build_province_world(seed, provinces, years)` returns the same `World` the report pages, documents and manifest
are made from, built on the MCA release the registry uses (`archive.registry.divisions`): every publishing
prefecture, county and township of each province, named as the national registry names their agencies
(`agency_names`), so that what discovery finds joins the registry by code and name. Departments are synthetic
(`sandbox.names` pools: 12–16 for a province, 14–20 for a prefecture, 8–14 for a county).

The rules of the world (each a pure function of the seed and the real names):
- Portals. The province's at the host of the bundled seed list (`crawler/discovery/seeds.py`; 福建省:
  `www.fujian.gov.cn`, 吉林省: `www.jl.gov.cn`), where discovery starts; every prefecture and most counties on their own
  `www.<pinyin of the name>.gov.cn` (a clash takes the level's suffix: `gulouqu`); about one county in twelve has no
  portal of its own: its government, departments and townships are sub-columns of its prefecture's portal (a shared
  platform). Townships and departments report in per-unit sub-columns of their government's portal; none has a site of
  its own.
- Families. Each portal is one CMS family of the sandbox; the province's common families (`names.PROVINCES`) take
  about seven portals in ten, the others share the rest, and every family occurs in every province.
- What discovery reads. Every page carries `<meta name="SiteIDCode">` (division code + serial; the government's
  own portal has serial 0001 in most counties, not in all), `SiteName` and the footer's 主办 line and 网站标识码.
  The province's home page lists its prefectures' portals (政府网站), each prefecture's home page its counties'
  (a shared county's entry links its sub-column on the prefecture's portal); one prefecture per province writes
  that list only into a script (JS-only navigation). Unit directories: gkmlpt portals list each unit's
  `/{slug}/gkmlpt/index` (a `window._CONFIG` with SID and the TREE of its categories, the 年报 among them) on
  their 政务公开 page; the other families have a department directory column (TRS and generic `…/bmxxgk/<slug>/`,
  Hanweb 信息公开部门目录 `col/col<N>/index.html` with unit ids, VSB `…/bmgk/<slug>.htm`) whose folders hold each
  department's 年报 column, and the report column's sub-columns `…/xzjd/<slug>/` (townships) and `…/xqzf/<slug>/`
  (counties on a shared platform); a third of TRS county portals file townships by year first
  (`…/zfxxgknb/{Y}/xzjd/<slug>/`: a column per township and year). Directories of more than 15 entries page.
- Hazards, each at least once per province and in proportion to its county portals (`HAZARD_RATES`): dead county
  portals (502), moved ones (the parent links the old domain, which answers 301 to the new), district portals whose
  robots.txt disallows everything, spam clones of county portals on non-government domains (copied markup and
  SiteIDCode; the real portal's footer links them), the
  portal of an abolished county still up and claiming its old code (福建省: 沙县 350427, since 2021 沙县区
  350405; elsewhere a 县 turned 区), linked from its prefecture's 友情链接.

`sandbox.discovery_truth` derives the manifest's `discovery` section from the world built here.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import urlsplit

from archive.registry.divisions import Division, Release, bundled
from archive.registry.governments import agency_names
from crawler.discovery.seeds import seed_for
from sandbox import names
from sandbox.content import DIRECTORY, DIRECTORY_BY_YEAR
from sandbox.seeding import chance, rng
from sandbox.world import (
    CLONE_FORMS,
    CLONE_WORDS,
    FAMILIES,
    YEARS,
    Agency,
    ChildSite,
    Decoy,
    Discovery,
    Namer,
    Portal,
    World,
)

# Name suffixes left out of hosts and slugs (the longest first).
SUFFIXES = ("自治县", "自治旗", "特区", "林区", "县", "区", "市", "旗", "街道", "镇", "乡", "苏木", "省")
HOST_SUFFIX = {"province": "sheng", "prefecture": "shi", "county": "xian"}
SHARED_RATE = 1 / 12
MAIN_FAMILY_SHARE = 0.7
GBK_RATE = 0.08
OTHER_SERIAL_RATE = 0.15  # governments whose own portal's SiteIDCode serial is not 0001
# Shares of a province's county portals (each kind at least once): dead, robots.txt Disallow: /, moved to a new
# domain (the parent still links the old), copied by a spam clone.
BY_YEAR_RATE = 1 / 3  # TRS county portals whose report column files townships by year first (…/{Y}/xzjd/<slug>/)
HAZARD_RATES = {"robots": 0.02, "dead": 0.02, "moved": 0.04, "clone": 0.03}
# Known abolished units whose old portal is still up: successor code → (old code, old name, old host).
ABOLISHED = {"350405": ("350427", "沙县", "www.fjsx.gov.cn")}
DEFAULT_FAMILIES = ("trs_static", "generic")


@cache
def _pinyin(text: str, initials: bool = False) -> str:
    # pypinyin reads place names with its phrase dictionary (厦门 xiamen, 长乐 changle): its ~55 MB are the
    # sandbox's, paid once when the first province world is built.
    from pypinyin import Style, lazy_pinyin

    parts = lazy_pinyin(text, style=Style.FIRST_LETTER if initials else Style.NORMAL)
    return re.sub(r"[^a-z]", "", "".join(parts).lower())


def stem(name: str) -> str:
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + (1 if suffix == "区" else 0):
            return name[: -len(suffix)]
    return name


class Slugs:
    """Directory slugs unique within one portal, letters only (gkmlpt's sub-paths allow nothing else)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, *candidates: str) -> str:
        for candidate in candidates:
            if candidate and candidate not in self.used:
                self.used.add(candidate)
                return candidate
        base = candidates[-1] or "dw"
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if base + letter not in self.used:
                self.used.add(base + letter)
                return base + letter
        raise RuntimeError(f"no free slug for {base}")


@dataclass(frozen=True)
class _Province:
    division: Division
    info: names.Province
    prefectures: tuple[Division, ...]
    counties: dict[str, tuple[Division, ...]]  # prefecture code → its counties
    townships: dict[str, tuple[Division, ...]]  # county code → its townships


def _province(release: Release, name: str) -> _Province:
    top = next((d for d in release.divisions if d.level == "province" and d.name == name), None)
    if top is None:
        raise ValueError(f"no province named {name!r} in {release.package}")
    inside = [d for d in release.divisions if d.code.startswith(top.code[:2]) and d.publisher]
    info = next((p for p in names.PROVINCES if p.name == name), None) or \
        names.Province(name, top.code[:2], _pinyin(stem(name), initials=True), DEFAULT_FAMILIES)
    prefectures = tuple(d for d in inside if d.level == "prefecture")
    counties: dict[str, list[Division]] = {}
    townships: dict[str, list[Division]] = {}
    for d in inside:
        if d.level == "county":
            # Counties directly under the province (省直辖) hang under the province itself.
            counties.setdefault(d.parent_code or top.code, []).append(d)
        elif d.level == "township":
            townships.setdefault(d.parent_code or "", []).append(d)
    return _Province(top, info, prefectures, {k: tuple(v) for k, v in counties.items()},
                     {k: tuple(v) for k, v in townships.items()})


def _family(seed: int, code: str, info: names.Province) -> str:
    r = rng(seed, "province-family", code)
    if r.random() < MAIN_FAMILY_SHARE:
        return r.choice(info.families)
    return r.choice([f for f in FAMILIES if f not in info.families] or list(FAMILIES))


def _departments(seed: int, gov: Agency, level: str, slugs: Slugs, prefix: str = "") -> list[Agency]:
    r = rng(seed, "province-departments", gov.division_code)
    pool = names.PROVINCE_DEPARTMENTS if level == "province" else names.DEPARTMENTS
    low, high = {"province": (12, 16), "prefecture": (14, 20)}.get(level, (8, 14))
    count = min(len(pool), r.randint(low, high))
    chosen = pool[:4] + tuple(r.sample(pool[4:], count - 4))
    return [Agency(gov.short + dept, "department", "department", gov.division_code, gov.name,
                   slugs.take(prefix + slug), gov.portal) for dept, slug in chosen]


def _townships(divisions: Sequence[Division], names_by_code: dict[str, str], county: Agency,
               slugs: Slugs) -> list[Agency]:
    out = []
    for d in divisions:
        short = stem(d.name)
        kind_letters = {"街道": "jd", "镇": "z", "乡": "x"}.get(d.name[len(short):], "")
        slug = slugs.take(_pinyin(short, initials=True) + kind_letters, _pinyin(short) + kind_letters,
                          _pinyin(short))
        out.append(Agency(names_by_code[d.code], "township", "government", d.code, county.name, slug, county.portal))
    return out


class _Builder:
    def __init__(self, seed: int, years: tuple[int, ...], release: Release):
        self.seed, self.years, self.release = seed, years, release
        self.names = agency_names(release.divisions)
        self.namer = Namer(seed)
        self.portals: list[Portal] = []
        self.extra: list[Portal] = []  # served, but not a truth portal (the abolished unit's)
        self.children: dict[str, list[ChildSite]] = {}
        self.friends: dict[str, list[tuple[str, str]]] = {}
        self.scripted: set[str] = set()
        self.moved: dict[str, str] = {}
        self.decoys: list[Decoy] = []

    def host(self, division: Division) -> str:
        return self.namer.host(_pinyin(stem(division.name)), HOST_SUFFIX.get(division.level, "xian"))

    def portal(self, gov: Agency, info: names.Province, units: list[Agency], **extra) -> Portal:
        r = rng(self.seed, "province-portal", gov.division_code)
        family = extra.pop("family", None) or _family(self.seed, gov.division_code, info)
        serial = 1 if not chance(OTHER_SERIAL_RATE, self.seed, "serial", gov.division_code) else r.randint(2, 9)
        gbk = chance(GBK_RATE, self.seed, "gbk", gov.division_code) and gov.level != "province"
        hazards = extra.pop("hazards", ())
        portal = Portal(len(self.portals), gov.portal, gov, family, _layout(self.seed, gov, family),
                        tuple(units), f"{gov.division_code}{serial:04d}", r.choice(names.OPENNESS_ROOTS),
                        r.choice(names.REPORT_COLUMNS), "gbk-declared-utf-8" if gbk else "utf-8", hazards,
                        r.choice((15, 20, 20, 25)), **extra)
        self.portals.append(portal)
        return portal

    def build(self, province: _Province) -> str:
        """Adds one province's portals; returns the seed URL."""
        top, info = province.division, province.info
        # The host the bundled seed list names (www.jl.gov.cn, not www.jilin.gov.cn): discovery starts there.
        host = urlsplit(seed_for(top.code).portal_url).hostname or ""
        self.namer.hosts.add(host)
        gov = Agency(self.names[top.code], "province", "government", top.code, "国务院", "bgs", host)
        slugs = Slugs()
        slugs.take("bgs")
        home = self.portal(gov, info, [gov, *_departments(self.seed, gov, "province", slugs)],
                           family=info.families[0])
        hazards = _hazard_plan(self.seed, province)
        for pref in province.prefectures:
            self.children.setdefault(host, []).append(ChildSite(pref.name, self.prefecture(province, pref, hazards)))
        for county in province.counties.get(top.code, ()):  # 省直辖 counties: listed by the province itself
            self.children.setdefault(host, []).append(ChildSite(county.name, self.county(province, county, gov,
                                                                                            hazards)))
        if hazards.scripted:
            self.scripted.add(hazards.scripted)
        return home.url

    def prefecture(self, province: _Province, pref: Division, hazards: _Hazards) -> str:
        host = self.host(pref)
        gov = Agency(self.names[pref.code], "prefecture", "government", pref.code,
                     self.names[province.division.code], "bgs", host)
        slugs = Slugs()
        slugs.take("bgs")
        # Townships directly under a prefecture (东莞, 中山, 儋州) report on its portal, as a county's do.
        units = [gov, *_departments(self.seed, gov, "prefecture", slugs),
                 *_townships(province.townships.get(pref.code, ()), self.names, gov, slugs)]
        links: list[ChildSite] = []
        shared: list[Division] = []
        for county in province.counties.get(pref.code, ()):
            if county.code in hazards.shared:
                shared.append(county)
                continue
            links.append(ChildSite(county.name, self.county(province, county, gov, hazards)))
        family = _family(self.seed, pref.code, province.info)
        shared_govs = []
        for county in shared:
            cgov = Agency(self.names[county.code], "county", "government", county.code, gov.name,
                          slugs.take(_pinyin(stem(county.name), initials=True), _pinyin(stem(county.name))), host)
            shared_govs.append(cgov)
            units += [cgov, *_departments(self.seed, cgov, "county", slugs, prefix=cgov.slug),
                      *_townships(province.townships.get(county.code, ()), self.names, cgov, slugs)]
        portal = self.portal(gov, province.info, units, family=family)
        links += [ChildSite(county.name, portal.url, cgov) for county, cgov in zip(shared, shared_govs)]
        self.children[host] = links
        if pref.code == hazards.scripted_prefecture:
            hazards.scripted = host
        if hazards.abolished and hazards.abolished[0].parent_code == pref.code:
            self.abolished(province, gov, hazards.abolished)
        return portal.url

    def county(self, province: _Province, county: Division, parent: Agency, hazards: _Hazards) -> str:
        host = self.host(county)
        gov = Agency(self.names[county.code], "county", "government", county.code, parent.name, "bgs", host)
        slugs = Slugs()
        slugs.take("bgs")
        units = [gov, *_departments(self.seed, gov, "county", slugs),
                 *_townships(province.townships.get(county.code, ()), self.names, gov, slugs)]
        extra: dict = {}
        kind = hazards.kinds.get(county.code)
        if kind == "dead":
            extra["down"] = True
            self.decoys.append(Decoy(f"http://{host}/", "dead", gov.name, "the portal does not answer (502)"))
        if kind == "robots":
            extra["hazards"] = ("robots_all",)
            self.decoys.append(Decoy(f"http://{host}/", "robots", gov.name,
                                     "robots.txt disallows every path to every crawler but Baiduspider"))
        if kind == "clone":
            r = rng(self.seed, "province-clone", county.code)
            clone = "www." + r.choice(CLONE_FORMS).format(stem=host.removeprefix("www.").removesuffix(".gov.cn"),
                                                          host=host.removeprefix("www."), word=r.choice(CLONE_WORDS))
            extra["clone"] = clone
            self.decoys.append(Decoy(f"http://{clone}/", "clone", gov.name,
                                     f"copies {host}'s pages, SiteIDCode and SiteName on a non-government domain"))
        portal = self.portal(gov, province.info, units, **extra)
        if kind == "moved":
            old = self.namer.host(province.info.abbr + _pinyin(stem(county.name), initials=True), "old")
            self.moved[old] = host
            self.decoys.append(Decoy(f"http://{old}/", "moved", gov.name, f"the old domain: answers 301 to {host}"))
            return f"http://{old}/"
        return portal.url

    def abolished(self, province: _Province, parent: Agency, plan: tuple[Division, str, str, str]) -> None:
        """The portal of an abolished county, still up under its old code and name (domain.md §8 churn)."""
        successor, old_code, old_name, host = plan
        self.namer.hosts.add(host)
        owner = Agency(old_name + "人民政府", "county", "government", old_code, parent.name, "bgs", host)
        portal = Portal(-1, host, owner, "trs_static", "flat", (owner,), f"{old_code}0001", ("政务公开", "zwgk"),
                        ("政府信息公开年报", "zfxxgknb"), "utf-8", (), 20,
                        years=tuple(y for y in self.years if y < 2021) or (2019, 2020))
        self.extra.append(portal)
        self.friends.setdefault(parent.portal, []).append((old_name + "人民政府", portal.url))
        self.decoys.append(Decoy(portal.url, "abolished", f"{old_name}人民政府 ({old_code})",
                                 f"{old_name} was replaced by {successor.name} {successor.code}; its old portal "
                                 "still claims the old code"))


@dataclass
class _Hazards:
    """Which county (by code) carries each discovery hazard in one province."""

    shared: set[str]
    kinds: dict[str, str]  # county code → dead | robots | moved | clone
    scripted_prefecture: str | None
    abolished: tuple[Division, str, str, str] | None  # (successor, old code, old name, old host)
    scripted: str | None = None  # the host, once built


def _abolished(province: _Province, counties: list[Division], candidates: list[Division]
               ) -> tuple[Division, str, str, str] | None:
    """The abolished county whose portal is still up: a known one, else a 区 that was a 县 of the same name."""
    names_now = {d.name for d in counties}
    successor = next((c for c in counties if c.code in ABOLISHED), None) or \
        next((c for c in candidates if stem(c.name) + "县" not in names_now), None)
    if successor is None:
        return None
    if successor.code in ABOLISHED:
        return (successor, *ABOLISHED[successor.code])
    codes, prefix = {c.code for c in counties}, successor.code[:4]
    old_code = next((f"{prefix}{n}" for n in range(21, 99) if f"{prefix}{n}" not in codes), prefix + "99")
    return (successor, old_code, stem(successor.name) + "县",
            f"www.{province.info.abbr}{_pinyin(stem(successor.name), initials=True)}.gov.cn")


def _hazard_plan(seed: int, province: _Province) -> _Hazards:
    counties = [c for p in province.prefectures for c in province.counties.get(p.code, ())]
    direct = list(province.counties.get(province.division.code, ()))  # a municipality's districts
    r = rng(seed, "province-hazards", province.division.code)
    order = r.sample(counties, len(counties))
    # Only a prefecture's portal carries counties on a shared platform.
    shared = {c.code for c in order if chance(SHARED_RATE, seed, "shared", c.code)}
    if not shared and order:
        shared.add(order[0].code)
    order += r.sample(direct, len(direct))
    rest = [c for c in order if c.code not in shared]
    kinds: dict[str, str] = {}
    for kind, rate in HAZARD_RATES.items():
        # robots.txt Disallow: / is a district portal's habit (domain.md §8)
        pool = [c for c in rest if c.code not in kinds and (kind != "robots" or c.name.endswith("区"))]
        for county in pool[:max(1, round(rate * len(rest)))]:
            kinds[county.code] = kind
    with_children = [p.code for p in province.prefectures if province.counties.get(p.code)]
    return _Hazards(shared, kinds, with_children[1 % len(with_children)] if with_children else None,
                    _abolished(province, counties + direct, [c for c in rest if c.code not in kinds]))


def _every_family(portals: list[Portal], seed: int) -> list[Portal]:
    """Every family at least once among a province's county portals, and the two child-list forms that differ
    (Hanweb's drop-down, VSB's link box) among its prefectures' when it has four or more: each missing family
    takes a portal of the commonest family."""
    swap: dict[int, str] = {}
    for level, wanted in (("county", FAMILIES), ("prefecture", ("hanweb", "vsb"))):
        group = [p for p in portals if p.owner.level == level and not p.down and not p.hazards]
        if level == "prefecture" and len(group) < 4:
            continue
        counts = Counter(p.family for p in group)
        for family in (f for f in wanted if not counts[f]):
            if not counts:
                break
            common = counts.most_common(1)[0][0]
            portal = next((p for p in reversed(group) if p.family == common and p.index not in swap), None)
            if portal is None or counts[common] < 2:
                break
            swap[portal.index] = family
            counts[common] -= 1
            counts[family] += 1
    return [_with_family(p, swap[p.index], seed) if p.index in swap else p for p in portals]


def _with_family(portal: Portal, family: str, seed: int) -> Portal:
    return replace(portal, family=family, layout=_layout(seed, portal.owner, family))


def _layout(seed: int, gov: Agency, family: str) -> str:
    """gkmlpt has its own directories; a third of TRS portals file townships' reports by year first."""
    if family == "gkmlpt":
        return "by_unit"
    by_year = family.startswith("trs") and gov.level == "county" and chance(BY_YEAR_RATE, seed, "by-year", gov.name)
    return DIRECTORY_BY_YEAR if by_year else DIRECTORY


def build_province_world(seed: int = 1, provinces: Iterable[str] = ("福建省",), years: Iterable[int] = YEARS,
                         release: Release | None = None) -> World:
    """The world of `provinces` (see the module's doc); `years` are the report years its agencies publish."""
    provinces = tuple(provinces)
    years = tuple(sorted(set(years)))
    if not provinces:
        raise ValueError("a province world needs at least one province")
    if not years or not set(years) <= set(YEARS):
        raise ValueError(f"a province world's report years lie within {YEARS[0]}-{YEARS[-1]}, got {years}")
    release = release or bundled()
    builder = _Builder(seed, years, release)
    seeds = []
    for name in provinces:
        start = len(builder.portals)
        seeds.append(builder.build(_province(release, name)))
        builder.portals[start:] = _every_family(builder.portals[start:], seed)
    portals = tuple(builder.portals)
    by_host = {p.host: p for p in portals} | {p.host: p for p in builder.extra}
    discovery = Discovery(provinces, tuple(seeds), {h: tuple(v) for h, v in builder.children.items()},
                          frozenset(builder.scripted), {h: tuple(v) for h, v in builder.friends.items()},
                          dict(builder.moved), tuple(builder.decoys))
    return World(seed, len(portals), portals, by_host, {p.clone: p for p in portals if p.clone}, years, discovery)


def seed_rows(world: World) -> list[dict[str, str]]:
    """The registry of a province world: its provincial portals alone, where discovery starts."""
    rows = []
    for portal in (p for p in world.portals if world.discovery and p.url in world.discovery.seeds):
        gov, url = portal.owner, portal.url
        rows.append({"name": gov.name, "level": gov.level, "kind": gov.kind, "division_code": gov.division_code,
                     "parent": gov.parent, "portal_url": url, "column_urls": "", "platform": "", "enabled": "true"})
    return rows
