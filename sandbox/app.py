"""The sandbox application: a request for any host → the response that host's portal gives.

It owns the only state the sandbox has: the world's descriptors, bounded caches (sites, documents, failed URLs),
the sandbox's "today" (settable, so that a second crawl can see reports published since the first) and request
counts per host. Besides the portals it answers the control host `nianbao.sandbox`:
`/manifest.json`, `/registry.csv`, `/today` (`?set=YYYY-MM-DD`), `/stats` (`?reset=1`).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sandbox import hazards
from sandbox.articles import renderings
from sandbox.content import SLOW_FORMATS, Site, build_site, document_slots
from sandbox.documents import DocumentStore, Rendering, ReportRef
from sandbox.http import Request, Response, html, json_response, plain, redirect
from sandbox.platforms import PLATFORMS
from sandbox.platforms.base import Ctx, Platform
from sandbox.prerender import prerender
from sandbox.province import build_province_world, seed_rows
from sandbox.timeline import TODAY
from sandbox.world import YEARS, Portal, World, build_world, registry_csv, registry_rows

CONTROL_HOST = "nianbao.sandbox"
SITE_CACHE = 256


@dataclass(frozen=True)
class Options:
    seed: int = 1
    scale: int = 7
    today: dt.date = TODAY
    documents_per_format: int = 2  # distinct PDF/DOCX/DOC/WPS/XLS reports in the world (each costs ~1 s to make)
    slow_seconds: float = 1.5
    cache_dir: Path | None = None  # rendered documents, the sandbox's alone; default: a folder under the temp dir
    province: tuple[str, ...] = ()  # a world on these provinces' real divisions (`sandbox.province`) instead
    years: tuple[int, ...] = YEARS  # the report years a province world's agencies publish (its report volume)


class Sandbox:
    def __init__(self, options: Options = Options()):
        self.options = options
        self.world: World = build_province_world(options.seed, options.province, options.years) \
            if options.province else build_world(options.seed, options.scale)
        self.slots = document_slots(self.world, options.documents_per_format)
        self.store = DocumentStore(options.cache_dir)
        self.today = options.today
        self.state = hazards.HazardState()
        self.requests: Counter[str] = Counter()
        self._sites: OrderedDict[str, Site] = OrderedDict()

    # --- the world's pieces -------------------------------------------------------------------------------------
    def site(self, portal: Portal) -> Site:
        site = self._sites.get(portal.host)
        if site is None:
            site = self._sites[portal.host] = build_site(self.world, portal, self.slots)
            if len(self._sites) > SITE_CACHE:
                self._sites.popitem(last=False)
        else:
            self._sites.move_to_end(portal.host)
        return site

    @staticmethod
    def platform(portal: Portal) -> Platform:
        return PLATFORMS[portal.family]

    def ctx(self, portal: Portal) -> Ctx:
        return Ctx(self.site(portal), self.today, self.store, tuple(hazards.home_links(portal, self.today)))

    def renderings(self) -> list[Rendering]:
        """Everything the world's report pages and files are made of (`articles.renderings`), each version of a
        revised report's, so that it can be made before anyone asks."""
        made: dict[Rendering, None] = {}  # a report on two sites is made once
        for portal in self.world.portals:
            if portal.down:
                continue
            for item in self.site(portal).items.values():
                for day in {item.published, item.revised or item.published}:
                    made.update(dict.fromkeys(renderings(self.world.seed, item, day)))
        return list(made)

    def slow_documents(self) -> list[tuple[ReportRef, str]]:
        """Every report attachment that needs the worker process."""
        return [(ref, fmt) for ref, fmt, _ in self.renderings() if fmt in SLOW_FORMATS]

    def prerender(self, processes: int | None = None, progress: Callable[[int, int], None] | None = None) -> None:
        """Make every document, table picture and article body of the world now (`sandbox.prerender`)."""
        prerender(self.store, self.renderings(), processes, progress)

    def registry(self) -> str:
        """The registry a crawl starts from; a province world's names only its provincial portals (the seeds)."""
        if self.world.discovery:
            return registry_csv(seed_rows(self.world))
        return registry_csv(registry_rows(self.world, lambda p: self.platform(p).column_url(self.site(p))))

    # --- serving -------------------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        self.requests[req.host] += 1
        if req.host == CONTROL_HOST:
            return self.control(req)
        if self.world.discovery and (new := self.world.discovery.moved.get(req.host)):
            return redirect(f"http://{new}{req.target}", 301)
        portal = self.world.portal(req.host)
        if portal is None and (original := self.world.cloned(req.host)):
            return self.clone_page(original, req)
        # An IP-only portal answers on its own port only; nothing listens on port 80 of that address.
        if portal is None or portal.down or req.port not in ((portal.port,) if portal.port else (None, 80)):
            return Response(502, f"proxy: cannot connect to {req.host}\n".encode(), "text/plain")
        if req.method not in ("GET", "HEAD", "POST"):
            return Response(405, b"", None)
        if ";" in req.path:
            req.path = hazards.SESSION.sub("", req.path)
        if req.path == "/robots.txt":
            return hazards.robots_txt(portal, self.platform(portal).column(self.site(portal), "news"))
        response = hazards.before(portal, self.world.seed, req, self.state) or self.page(portal, req)
        response.delay = hazards.delay(portal, self.world.seed, req, self.options.slow_seconds)
        if response.content_type and response.content_type.startswith("text/html") and response.body:
            response.body = hazards.with_session_ids(portal, self.world.seed, req, response.body)
        return response

    def page(self, portal: Portal, req: Request) -> Response:
        platform, ctx = self.platform(portal), self.ctx(portal)
        if req.path in hazards.TRAP_PATHS:
            links = [(i.title, platform.item(ctx.site, i)) for c in ctx.site.report_columns()
                     for i in ctx.visible(c.key)[:3]]
            if (trap := hazards.trap_page(portal, req, links)) is not None:
                return html(trap)
        return platform.serve(ctx, req) or hazards.not_found(portal)

    def clone_page(self, original: Portal, req: Request) -> Response:
        """A spam clone: the government portal's page, copied under the clone's domain (no WAF, no traps)."""
        if req.method not in ("GET", "HEAD"):
            return Response(405, b"", None)
        req.path = hazards.SESSION.sub("", req.path)
        return self.platform(original).serve(self.ctx(original), req) or Response(404, b"", "text/html")

    def control(self, req: Request) -> Response:
        if req.path == "/registry.csv":
            return Response(200, self.registry().encode("utf-8"), "text/csv; charset=utf-8")
        if req.path == "/manifest.json":
            from sandbox.manifest import manifest
            return json_response(manifest(self))
        if req.path == "/today":
            if "set" in req.query:
                self.today = dt.date.fromisoformat(req.query["set"])
            return plain(self.today.isoformat() + "\n")
        if req.path == "/stats":
            body = {"requests": sum(self.requests.values()), "by_host": dict(self.requests)}
            if req.query.get("reset"):
                self.requests.clear()
            return json_response(body)
        return json_response({"seed": self.world.seed, "scale": self.world.scale, "today": self.today.isoformat(),
                              "portals": len(self.world.portals), "agencies": len(self.world.agencies()),
                              "endpoints": ["/manifest.json", "/registry.csv", "/today?set=YYYY-MM-DD",
                                            "/stats?reset=1"]})

    def close(self) -> None:
        self.store.close()
