"""The ground truth of a sandbox world as of its "today": every report and where it is published, the expected
field values each document carries, the near-misses, every hazard, and the minimum request set.

Computed from the same pure functions the server pages come from, so manifest and pages agree by construction;
the tests fetch the pages to check that they do.

The minimum request set is what a perfect crawler starting from the registry needs: robots.txt of each host it
visits; the navigation from the home page (or from the registry's column URL) to the report columns; the listing
requests of every column holding reports, through the cheapest listing the CMS offers (Hanweb's dataproxy and the
TRS search API in one large page, gkmlpt's API at 100 a page, Hanweb's xxgkAnnualReport.jsp one year a page); each
report's page (every page of a paged TRS article: "report part") and its files once (a copy on a
department's own site is recognised by its title and not fetched); the challenge of a WAF host once and the
retry of every URL on a host whose first answers are 500s. Entries carry the report years they serve (null:
needed for any year), so the minimum for a subset of years is a filter.
"""
from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from typing import TextIO

from pipelines.schema import field_keys
from sandbox import discovery_truth
from sandbox.articles import attachments, report_ref
from sandbox.content import Item, Site
from sandbox.hazards import DESCRIPTIONS, WAF
from sandbox.platforms.base import Call
from sandbox.poison import PAYLOADS
from sandbox.world import Portal

TABLE_NAMES = ("active", "applications", "review_litigation")


def _url(portal: Portal, path: str) -> str:
    return f"http://{portal.netloc}{path}"


def _documents(sb, portal: Portal, site: Site, item: Item) -> list[dict]:
    platform = sb.platform(portal)
    page: dict[str, object] = {"url": _url(portal, platform.item(site, item)), "role": "page", "format": "html",
            "encoding": portal.encoding,
            "tables": {"html": "text", "html+att": "text", "att": "none", "image": "image"}[item.form]}
    if item.parts > 1:  # the article continues on these pages; the tables run on over the breaks
        page["parts"] = [_url(portal, u) for u in platform.parts(site, item)]
    docs: list[dict] = [page]
    for att in attachments(item):
        doc = {"url": _url(portal, platform.file(site, item, att)), "role": "attachment" if att.role == "report"
               else "image", "format": att.fmt, "tables": "text" if att.role == "report" else "image"}
        if att.role == "image":
            doc["table"] = TABLE_NAMES[att.index]
        if item.reuploaded:
            doc["reuploaded"] = item.reuploaded.isoformat()
        docs.append(doc)
    return docs


def _versions(sb, item: Item, fields: bool) -> list[dict]:
    days = [item.published] + ([item.revised] if item.revised and sb.today >= item.revised else [])
    out = []
    for n, day in enumerate(days, start=1):
        ref = report_ref(sb.world.seed, item, day)
        spec = ref.spec
        version = {"version": n, "from": day.isoformat(), "broken_rules": spec.broken_rules,
                   "label_variants": spec.label_variants}
        if fields:  # in the order of the manifest's field_keys[template]: a 2,000-agency world stays loadable
            version["values"] = [spec.values[k] for k in field_keys(ref.template)]
        out.append(version)
    return out


def expected_fields(truth: dict, report: dict, version: int = -1) -> dict[str, object]:
    """A report version's expected values by field key."""
    return dict(zip(truth["field_keys"][report["template"]], report["versions"][version]["values"]))


def _canonical(portal: Portal, item: Item) -> bool:
    """The copy a perfect crawler fetches: the county portal's, not the department site's duplicate."""
    assert item.unit is not None  # a report's item
    return not (item.unit.own_site and portal.host == item.unit.own_site)


def reports(sb, fields: bool = True) -> Iterator[dict]:
    """One entry per (agency, year) published by today, with every place it is published.

    The places are gathered first (small records); versions and values are made one report at a time as the
    entries are consumed, so writing the manifest of a large world needs little memory.
    """
    by_key: dict[tuple[str, int], tuple[Item, list[dict]]] = {}
    for portal in sb.world.portals:
        if portal.down:
            continue
        site = sb.site(portal)
        for item in site.items.values():
            if item.kind == "report" and item.published <= sb.today:
                by_key.setdefault((item.unit.name, item.year), (item, []))[1].extend(_documents(sb, portal, site, item))
    for item, documents in by_key.values():
        assert item.unit is not None and item.deadline is not None  # a report's item
        yield {"agency": item.unit.name, "year": item.year, "template": item.template, "title": item.title,
               "published": item.published.isoformat(), "deadline": item.deadline.isoformat(),
               "days_late": max(0, (item.published - item.deadline).days), "form": item.form,
               "attachment_format": item.fmt, "versions": _versions(sb, item, fields), "documents": documents,
               "places": len({d["url"].split("/")[2] for d in documents})}


def missing(sb) -> list[dict]:
    """(agency, year) pairs with no report as of today: never published, or not yet."""
    published = {(i.unit.name, i.year): i.published for p in sb.world.portals if not p.down
                 for i in sb.site(p).items.values() if i.kind == "report"}
    down = {p.owner.name for p in sb.world.portals if p.down}
    out = []
    for agency in sb.world.agencies():
        for year in sb.world.years:
            when = published.get((agency.name, year))
            if agency.name in down:
                out.append({"agency": agency.name, "year": year, "reason": "portal unreachable"})
            elif when is None or when > sb.today:
                out.append({"agency": agency.name, "year": year,
                            "reason": "never published" if when is None else f"published {when.isoformat()}"})
    return out


def near_misses(sb) -> Iterator[dict]:
    """Pages that look like reports but are not (domain.md §4), wherever they are listed."""
    for portal in sb.world.portals:
        if portal.down:
            continue
        site, platform = sb.site(portal), sb.platform(portal)
        for item in site.items.values():
            if item.kind in ("report", "news", "notice", "policy", "poison") or item.published > sb.today:
                continue
            entry = {"url": _url(portal, platform.item(site, item)), "kind": item.kind, "title": item.title}
            if item.kind == "compilation":
                entry["files"] = [_url(portal, platform.file(site, item, a)) for a in attachments(item)]
            yield entry


def hazards(sb) -> list[dict]:
    out = []
    for portal in sb.world.portals:
        if portal.down:
            out.append({"kind": "down", "host": portal.host, "detail": DESCRIPTIONS["down"]})
            continue
        site, platform = sb.site(portal), sb.platform(portal)
        if portal.encoding != "utf-8":
            out.append({"kind": "gbk_pages", "host": portal.host,
                        "detail": f"every page is GBK; declaration: {portal.encoding}"})
        if portal.clone:
            injected = [f"http://{portal.clone}{platform.item(site, i)}" for c in site.report_columns()
                        if (i := platform.injected(site, c, sb.today))]
            out.append({"kind": "spam_clone", "host": portal.clone, "clone_of": portal.netloc,
                        "detail": DESCRIPTIONS["spam_clone"], "urls": [f"http://{portal.clone}/", *injected]})
        if portal.port:
            out.append({"kind": "ip_host", "host": portal.netloc, "detail": DESCRIPTIONS["ip_host"]})
        for kind in portal.hazards:
            entry = {"kind": kind, "host": portal.host, "detail": DESCRIPTIONS[kind]}
            if kind in WAF:
                entry["status"], entry["cookie"] = WAF[kind]
            if kind == "huge_attachment":
                entry["urls"] = [_url(portal, platform.file(site, i, a)) for i in site.items.values()
                                 if i.kind == "compilation" for a in attachments(i)]
            if kind == "soft_404":
                entry["urls"] = [_url(portal, platform.item(site, i)) for i in site.items.values() if i.kind == "dead"]
            if kind == "poison_documents":
                entry["documents"] = [{"url": _url(portal, platform.item(site, i)), "payload": payload,
                                       "expect": PAYLOADS[payload][2]} for i, payload in _poison(site, sb.today)]
            out.append(entry)
    return out


def _poison(site: Site, today: dt.date) -> list[tuple[Item, str]]:
    """The poison documents published by `today`, with the name of their payload."""
    return [(i, i.poison) for i in site.items.values() if i.poison and i.published <= today]


def _report_keys(site: Site, today: dt.date) -> Counter:
    return Counter({c.key: sum(1 for i in site.visible(c.key, today) if i.kind == "report")
                    for c in site.report_columns()})


def minimum_requests(sb) -> list[dict]:
    out: list[dict] = []
    for portal in sb.world.portals:
        out += _portal_minimum(sb, portal)
    return out


def _portal_minimum(sb, portal: Portal) -> list[dict]:
    def add(call: Call, purpose: str, years=None) -> None:
        entries.append({"method": call.method, "url": _url(portal, call.url), "body": call.body,
                        "purpose": purpose, "years": sorted(years) if years else None})

    entries: list[dict] = []
    if portal.down:
        add(Call("GET", "/"), "unreachable portal")
        return entries
    add(Call("GET", "/robots.txt"), "robots")
    if "robots_all" in portal.hazards:
        return entries
    site, platform, today = sb.site(portal), sb.platform(portal), sb.today
    if any(k in portal.hazards for k in WAF):
        add(Call("GET", platform.column(site, "nb") if portal.known_columns else "/"), "waf challenge")
    if not portal.known_columns:
        add(Call("GET", "/"), "navigation")
    if portal.family == "gkmlpt" or not portal.known_columns:
        add(Call("GET", platform.openness(site)), "navigation")
    counts = _report_keys(site, today)
    for col in site.report_columns():
        years = {i.year for i in site.visible(col.key, today) if i.kind == "report"}
        calls = platform.listing_calls(site, col.key, today)
        if col.key == "nb" and portal.family == "gkmlpt":
            continue  # the 政务公开 page, already counted
        for call in calls if counts[col.key] else calls[:1]:
            add(call, "listing", call.years or years)
    for call, purpose, years in _report_calls(portal, site, platform, today):
        add(call, purpose, years)
    for item, _ in _poison(site, today):  # listed as reports: only their bytes tell
        add(Call("GET", platform.item(site, item)), "poison document", {item.year})
    if "flaky_500" in portal.hazards:
        entries += [{**e, "purpose": "retry after 500"} for e in entries if e["purpose"] != "robots"]
    return entries


def _report_calls(portal: Portal, site, platform, today) -> Iterator[tuple[Call, str, set[int]]]:
    """The calls that fetch each report the portal publishes as its own: its page, its parts, its files."""
    for item in site.items.values():
        if item.kind == "report" and item.published <= today and _canonical(portal, item):
            yield Call("GET", platform.item(site, item)), "report", {item.year}
            for part in platform.parts(site, item):
                yield Call("GET", part), "report part", {item.year}
            for att in attachments(item):
                yield Call("GET", platform.file(site, item, att)), "report file", {item.year}


def _parts(sb, fields: bool) -> Iterator[tuple[str, object]]:
    world = sb.world
    yield from {
        "generator": "nianbao sandbox", "seed": world.seed, "scale": world.scale, "today": sb.today.isoformat(),
        "years": list(world.years), "control_host": "nianbao.sandbox",
        "field_keys": {t: field_keys(t) for t in ("2021", "2019")},
        "portals": [{"host": p.netloc, "url": p.url, "agency": p.owner.name, "family": p.family, "layout": p.layout,
                     "encoding": p.encoding, "hazards": list(p.hazards), "down": p.down,
                     "site_code": p.site_code, "report_column": None if p.down else
                     sb.platform(p).column_url(sb.site(p))} for p in world.portals],
        "agencies": [{"name": a.name, "level": a.level, "kind": a.kind, "division_code": a.division_code,
                      "parent": a.parent, "in_registry": a.in_registry, "portal": a.portal, "own_site": a.own_site}
                     for a in world.agencies()],
    }.items()
    if world.discovery:
        yield "discovery", discovery_truth.section(sb)
    yield "reports", reports(sb, fields)
    yield "missing", missing(sb)
    yield "near_misses", near_misses(sb)
    yield "hazards", hazards(sb)
    yield "minimum_requests", minimum_requests(sb)


def manifest(sb, fields: bool = True) -> dict:
    return {k: list(v) if isinstance(v, Iterator) else v for k, v in _parts(sb, fields)}


def write(sb, out: TextIO, fields: bool = True) -> None:
    """The manifest as JSON, list items written as they are made (one line each)."""
    dump = lambda value: json.dumps(value, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    out.write("{")
    for n, (key, value) in enumerate(_parts(sb, fields)):
        out.write(("," if n else "") + f"\n{dump(key)}:")
        if not isinstance(value, (list, Iterator)):
            out.write(dump(value))
            continue
        out.write("[")
        out.writelines(("," if i else "") + "\n" + dump(entry) for i, entry in enumerate(value))
        out.write("]")
    out.write("\n}\n")
