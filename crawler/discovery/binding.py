"""The binding rules (issue 16, domain.md §8): which government a site is the portal of, which unit a directory
entry is, and what is reported as a `Conflict` instead of guessed. Pure: what the crawl saw in, the archive's records
(`archive.registry.bindings`) out.

A site is a government's portal only when its site code's division code is that government's **and** a name agrees:
the site's own SiteName, 主办单位 or title (confidence 1), or else the text of the parent portal's link to it
(confidence 0.9). Serial 0001 is not always the government's own portal, clones copy markup and code, units are
abolished and portals move, so:
- a site on a host outside the allowed domains claiming a government's code or name is a clone: a conflict;
- a code naming no current division of the province (an abolished unit's old site) is a conflict;
- a code and a name that name two different governments, or a link that names one government and a site code
  another, is a conflict;
- two sites claiming one government (after redirects: a moved portal's redirect is followed, not a second claim)
  are both conflicts, and the government stays without a portal;
- a portal whose robots.txt forbids every page is bound on its parent's link alone, at the lowest confidence;
- a site whose code is a government's but whose names do not name it (a department's site on the government's code)
  is not a portal of that government, and nothing is said of it.
Units (departments, townships) come from directory entries, joined to the government whose directory lists them:
a township to the current township of that county with that name (else a conflict: an abolished or renamed one), a
department by its name, prefixed with its government's where the directory gives it bare (财政局 → 闽侯县财政局).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from archive.registry.bindings import Conflict, Discovered, Evidence, Signal
from crawler.discovery.directories import UnitEntry
from crawler.discovery.evidence import SiteFacts
from crawler.discovery.gazetteer import Gazetteer, Government
from crawler.discovery.links import Link
from crawler.discovery.urls import host

ON_SITE = 1.0  # code and a name on the site itself
LINKED = 0.9  # code on the site, the name only in the parent's link
DIRECTORY = 0.9  # a unit listed in its government's directory and joined to the registry
DIRECTORY_NAME = 0.8  # a department listed in its government's directory (no registry of departments exists)
LINK_ONLY = 0.5  # a portal none of whose pages may be read (robots.txt): its parent's link names it, nothing else
_TOWNSHIP_SUFFIXES = ("镇", "乡", "街道", "办事处", "苏木", "镇人民政府", "乡人民政府")


@dataclass(frozen=True, slots=True)
class SiteSeen:
    """A site's entrance as the crawl fetched it, and how it was reached."""

    requested: str  # the URL the parent linked
    url: str  # after redirects
    facts: SiteFacts
    link: Link | None = None  # the parent portal's link (None for the seed)
    parent_code: str = ""  # the government whose portal linked it ("" for the seed)
    platform: str = ""


def allowed(url: str, suffixes: Iterable[str]) -> bool:
    name = host(url)
    return any(name.endswith(s) or name == s.lstrip(".") for s in suffixes)


@dataclass(frozen=True, slots=True)
class Claim:
    """The government a site in the province claims by its site code, and which names agree with it."""

    code: str  # the division code of the site code
    government: Government | None  # the code's current government (None: an abolished or renamed unit)
    on_site: bool  # the site's own SiteName, 主办单位 or title names that government
    by_link: bool  # the parent portal's link to the site names it

    @property
    def named(self) -> bool:
        return self.on_site or self.by_link


def bind_site(gaz: Gazetteer, province: str, seen: SiteSeen, suffixes: Iterable[str]) -> Discovered | Conflict | None:
    """The government `seen` is the portal of, a conflict, or None when the site claims no government of
    `province` (a department's site, another province's, a page without a code)."""
    facts = seen.facts
    evidence = facts.evidence() + ((Evidence(seen.requested, Signal.LINK, seen.link.text),) if seen.link else ())
    if facts.site_id_code and facts.footer_code and facts.site_id_code.upper() != facts.footer_code.upper():
        return Conflict(seen.url, f"{facts.site_id_code} / {facts.footer_code}",
                        "the SiteIDCode and the footer's 网站标识码 differ", evidence)
    claim = _claim(gaz, province, seen)
    if claim is None:
        return None
    if not allowed(seen.url, suffixes):
        return _clone(seen, claim, evidence)
    if claim.government is None:
        return Conflict(seen.url, facts.code, f"site code {facts.code}: division {claim.code} is not a current unit "
                                              f"(abolished or renamed?)", evidence)
    return _portal(gaz, seen, claim, claim.government, evidence)


def _claim(gaz: Gazetteer, province: str, seen: SiteSeen) -> Claim | None:
    """What the site claims, or None when its site code names no division of `province`."""
    code = seen.facts.division_code
    if not code or code[:2] != province[:2]:
        return None
    government = gaz.get(code)
    if government is None:
        return Claim(code, None, on_site=False, by_link=False)
    return Claim(code, government, any(gaz.names(government, n) for n in seen.facts.names),
                 bool(seen.link and gaz.names(government, seen.link.text)))


def _clone(seen: SiteSeen, claim: Claim, evidence: tuple[Evidence, ...]) -> Conflict | None:
    """A site outside the government domains: a conflict when it names the government its code claims."""
    if not claim.named:
        return None
    claimed = claim.government.agency if claim.government else claim.code
    return Conflict(seen.url, seen.facts.code, f"a site outside the government domains claims {claimed}: a clone",
                    evidence)


def _portal(gaz: Gazetteer, seen: SiteSeen, claim: Claim, government: Government,
            evidence: tuple[Evidence, ...]) -> Discovered | Conflict | None:
    """A site inside the domains whose code is `government`'s: its portal when a name agrees and the parent's link
    names no other government below the parent."""
    linked = gaz.child_named(seen.parent_code, seen.link.text) if seen.link and seen.parent_code else None
    if linked is not None and linked.code != government.code:
        return Conflict(seen.url, seen.facts.code, f"linked as {linked.agency}, site code names {government.agency}",
                        evidence)
    if not claim.named:
        return None  # the government's code on a site that does not name it: a department's, or a subject site
    if seen.parent_code and not _below(gaz, government, seen.parent_code):
        return None  # a link across the tree (a neighbour's portal): found again from its own parent
    parent = gaz.get(government.parent_code)
    return Discovered(government.agency, government.level, "government", government.code,
                      parent.agency if parent else "", seen.url, (), seen.platform, evidence,
                      ON_SITE if claim.on_site else LINKED)


def bind_link(gaz: Gazetteer, url: str, link: Link, parent_code: str, suffixes: Iterable[str]) -> Discovered | None:
    """A portal none of whose pages may be read (robots.txt forbids them): bound on its parent portal's link alone,
    at the lowest confidence, when that link names a government below the parent and points into the government
    domains; None otherwise."""
    child = gaz.child_named(parent_code, link.text) if parent_code else None
    parent = gaz.get(parent_code)
    if child is None or parent is None or not allowed(url, suffixes):
        return None
    return Discovered(child.agency, child.level, "government", child.code, parent.agency, url, (), "",
                      (Evidence(url, Signal.LINK, link.text),), LINK_ONLY)


def _below(gaz: Gazetteer, government: Government, code: str) -> bool:
    return any(a.code == code for a in gaz.ancestors(government.code))


def one_per_government(bound: Iterable[Discovered]) -> tuple[list[Discovered], list[Conflict]]:
    """Each government's portal once; a government claimed by two different sites gets none, and a conflict each."""
    by_code: dict[str, dict[str, Discovered]] = defaultdict(dict)
    for d in bound:
        by_code[d.division_code].setdefault(d.portal_url, d)
    kept, conflicts = [], []
    for code, sites in by_code.items():
        if len(sites) == 1:
            kept.append(next(iter(sites.values())))
            continue
        urls = " ".join(sorted(sites))
        for d in sites.values():
            conflicts.append(Conflict(d.portal_url, code, f"{len(sites)} sites claim {d.name}: {urls}", d.evidence))
    return kept, conflicts


def bind_unit(gaz: Gazetteer, government: Discovered, entry: UnitEntry, source: str) -> Discovered | Conflict | None:
    """The unit a directory entry of `government` (read at `source`) names: a township of a county, a department,
    or, on a prefecture's shared platform, a county below it or a unit of that county; a township name with no
    current township is a conflict."""
    evidence = (Evidence(source, Signal.DIRECTORY, entry.name),)
    own = gaz.get(government.division_code)
    if own is None:
        return None
    below = gaz.owner(own.code, entry.name)
    if below is not None and gaz.names(below, entry.name):
        return Discovered(below.agency, below.level, "government", below.code, government.name,
                          government.portal_url, (), government.platform, evidence, DIRECTORY)
    owner = below or own
    owner_name = owner.agency if below else government.name
    if _is_township(entry.name):
        if owner.level != "county":
            return None  # a township listed above its county (a prefecture's overview): joined from the county's
        township = gaz.unit_named(owner.code, entry.name)
        if township is None:
            return Conflict(entry.url, entry.name, f"{owner_name} lists {entry.name}, which is not a current "
                                                   f"township of it (abolished or renamed?)", evidence)
        return Discovered(township.agency, "township", "government", township.code, owner_name,
                          government.portal_url, (), government.platform, evidence, DIRECTORY)
    return Discovered(department_name(gaz, owner, entry.name), "department", "department", owner.code, owner_name,
                      government.portal_url, (), government.platform, evidence, DIRECTORY_NAME)


def _is_township(name: str) -> bool:
    return name.endswith(_TOWNSHIP_SUFFIXES) and not name.endswith(("管委会", "委员会"))


def department_name(gaz: Gazetteer, owner: Government, listed: str) -> str:
    """A department's full name: as listed when it carries its government's name, else with it in front
    (财政局 on 闽侯县's directory → 福州市闽侯县财政局)."""
    prefixes = [owner.name, *(a.name for a in gaz.ancestors(owner.code))]
    if any(listed.startswith(p) for p in prefixes):
        return listed
    return owner.agency.removesuffix("人民政府") + listed


def with_columns(d: Discovered, columns: Iterable[str], evidence: Iterable[Evidence] = ()) -> Discovered:
    """`d` with `columns` added, in URL order: pages are read in whatever order the server answers, and a re-run
    finding the same columns must say the same."""
    urls = tuple(sorted({*d.column_urls, *columns}))
    return replace(d, column_urls=urls, evidence=(*d.evidence, *evidence))
