"""The dashboard in a real Chromium (Debian's, driven by Playwright) over a sandbox-built archive.

Every page must load without a console error, a page error or a failed request, at a desktop's width and a phone's
(390 px: nothing wider than the screen but the tables and charts, which scroll in their box; chart labels and matrix
names readable); filters, search and the CSV must agree with what the pages show; the report whose title, prose,
cells and URL carry script payloads must show them as text and run nothing. A screenshot of every page at both widths
goes to artifacts/dashboard/ at the repository's root (gitignored); the test prints the path.
"""
from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.store.db import open_archive
from tests.support.browser import needs_chromium
from tests.support.dashboard import PAYLOAD_AGENCY, PAYLOAD_TITLE, SCRIPT, build_sandbox_archive, index, serving

pytestmark = [needs_chromium, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, object]]:
    root = tmp_path_factory.mktemp("sandbox-archive")
    db = str(root / "archive.sqlite")
    arc = open_archive(db, root)
    built = build_sandbox_archive(arc)
    arc.engine.dispose()
    index(db)
    with serving(db, root) as base:
        yield base, built


WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def artifacts(pytestconfig) -> Iterator[Path]:
    """Where the screenshots go; printed at the end, whether the tests passed or not."""
    folder = pytestconfig.rootpath / "artifacts" / "dashboard"
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # on the terminal, not in the test's captured output
            reporter.write_line(f"\ndashboard screenshots: {folder}")


class Watched:
    """A page whose console errors, page errors and failed requests are recorded."""

    def __init__(self, browser, viewport: dict[str, int] = WIDTHS["desktop"]):
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and self.problems.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status} {r.url}"))

    def visit(self, url: str, status: int = 200):
        response = self.page.goto(url)
        assert response is not None and response.status == status, url
        if status != 200:  # the answer asked for is no problem (the response, and the console's line about it)
            console = f"error: Failed to load resource: the server responded with a status of {status} "
            expected = (f"{status} {response.url}", f"{console}({response.status_text})")
            assert set(expected) <= set(self.problems)
            self.problems = [p for p in self.problems if p not in expected]
        return self.page


@pytest.fixture
def watched(browser) -> Iterator[Watched]:
    w = Watched(browser)
    yield w
    w.context.close()


@pytest.fixture(params=list(WIDTHS))
def sized(browser, request) -> Iterator[tuple[str, Watched]]:
    w = Watched(browser, WIDTHS[request.param])
    yield request.param, w
    w.context.close()


# The smallest chart label on the page, in CSS pixels as drawn (font size × the SVG's scale).
SMALLEST_CHART_TEXT = """() => Math.min(Infinity, ...[...document.querySelectorAll('svg.chart')].flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll('text')].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
}))"""
# How many lines the longest-wrapping agency name of the matrix takes.
MOST_NAME_LINES = """() => Math.max(0, ...[...document.querySelectorAll('#matrix tbody th a')].map(a => {
    const line = parseFloat(getComputedStyle(a).lineHeight) || 1.5 * parseFloat(getComputedStyle(a).fontSize);
    return Math.round(a.getBoundingClientRect().height / line);
}))"""


def every_page(base: str, built) -> dict[str, tuple[str, int]]:
    """Each kind of page once: name → (path, status)."""
    revised = built.reports[built.revised[0]]
    pictured = next(rid for (agency, _), rid in built.reports.items() if agency == built.pictured)
    return {
        "overview": ("/", 200), "coverage": ("/coverage", 200),
        "agency": (f"/agencies/{built.agencies[built.revised[0][0]]}", 200), "report": (f"/reports/{revised}", 200),
        "report-copies": (f"/reports/{built.copied[0]}", 200), "report-pictures": (f"/reports/{pictured}", 200),
        "search": ("/search?q=人民政府", 200), "search-empty": ("/search?q=没有这样的词语", 200),
        "about": ("/about", 200), "api-docs": ("/api/docs", 200), "downloads": ("/downloads", 200),
        "not-found": ("/agencies/999999", 404),
    }


def test_every_page_at_desktop_and_phone_width(site, sized, artifacts):
    base, built = site
    width, watched = sized
    for name, (path, status) in every_page(base, built).items():
        page = watched.visit(base + path, status)
        if name == "api-docs":  # Swagger UI draws the operations from /api/openapi.json, all from this server
            page.wait_for_selector(".opblock")
            assert page.locator(".opblock").count() >= 8
        if name == "report-copies":
            page.locator("#copies summary").click()  # collapsed until asked for
        if name == "report-pictures":  # each picture loaded, beside its table on a desktop, below it on a phone
            figures = page.locator("figure.table-picture")
            assert figures.count() == 3
            for n in range(3):  # lazily loaded: each once scrolled to
                image = figures.nth(n).locator("img")
                image.scroll_into_view_if_needed()
                assert image.evaluate("i => i.decode().then(() => i.naturalWidth > 0)"), n
            table, figure = page.locator("#table-applications").bounding_box(), figures.nth(1).bounding_box()
            beside = figure["x"] >= table["x"] + min(table["width"], 300) and figure["y"] < table["y"] + 50
            assert beside == (width == "desktop"), (table, figure)
        shot(artifacts, page, f"{name}-{width}")
        assert page.locator('header nav a[href="/about"]').count() == 1, name
        assert watched.problems == [], (name, watched.problems)
        if width == "phone":  # nothing but the tables and charts (in their own scrolling box) wider than the screen
            assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS["phone"]["width"], name
        if page.locator("svg.chart").count():
            assert page.evaluate(SMALLEST_CHART_TEXT) >= 9, (name, width)
        if name == "coverage":
            assert page.evaluate(MOST_NAME_LINES) <= 3, width
            # Copies (S5) are a quiet grey mark, not the red count of failed checks.
            marks = page.locator("#matrix .copies")
            assert marks.count() and marks.first.evaluate("e => getComputedStyle(e).color") == "rgb(89, 99, 110)"
        if name == "search":  # 43 matches: a second page, numbered on from the first
            page.locator(".pages a[rel=next]").click()
            assert page.locator("#report-results").get_attribute("start") == "21"
        if name == "search-empty":
            assert page.locator("#no-reports").is_visible() and page.locator("#report-results").count() == 0


def shot(folder: Path, page, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_page_loads_cleanly(site, watched):
    base, built = site
    page = watched.visit(base + "/")
    assert page.locator("svg.chart").count() == 4
    page.locator("#by-region ~ svg a").first.click()  # a province's bar: its cities
    assert "region=" in page.url and page.locator("h1").inner_text()
    page = watched.visit(base + "/coverage")
    rows = page.locator("#matrix tbody tr")
    assert rows.count() == min(50, len(built.agencies))
    page.locator("#matrix tbody th a").first.click()
    assert page.locator("h1").inner_text() and "/agencies/" in page.url
    # The revised report: two versions, a diff, sources with WARC records.
    report = built.reports[built.revised[0]]
    page = watched.visit(f"{base}/reports/{report}")
    assert page.locator("table.form").count() == 3
    assert page.locator("#diff-fields tbody tr").count() >= 1
    assert page.locator("#source-table a[download]").count() >= 2
    page.locator(".versions a").first.click()
    assert "version=1" in page.url and "第 1 版" in page.locator("ol.versions li.shown").inner_text()
    watched.visit(f"{base}/search?q=人民政府")
    assert watched.problems == []


def test_filters_search_and_csv(site, watched):
    base, _built = site
    page = watched.visit(base + "/coverage")
    page.select_option("select[name=level]", "township")
    page.click("form.filters button[type=submit]")
    assert "level=township" in page.url
    levels = page.locator("#matrix tbody tr td:nth-child(2)").all_inner_texts()
    assert levels and set(levels) == {"乡镇"}
    assert int(page.locator("#total").inner_text()) == len(levels)

    page.select_option("select[name=level]", "")
    page.fill("form.filters input[name=q]", "局")
    page.select_option("select[name=status]", "on_time")
    page.click("form.filters button[type=submit]")
    names = page.locator("#matrix tbody th").all_inner_texts()
    assert names and all("局" in n for n in names)
    focus = page.locator("select[name=year]").input_value()
    assert set(page.locator(f"#matrix td[data-year='{focus}']").evaluate_all(
        "cells => cells.map(c => c.dataset.status)")) == {"on_time"}

    # The CSV holds exactly the rows and statuses of the table.
    with page.expect_download() as download:
        page.click("#csv")
    with open(download.value.path(), encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    shown = page.locator("#matrix tbody tr").evaluate_all("""rows => rows.map(r => ({
        name: r.querySelector('th').innerText,
        cells: [...r.querySelectorAll('td[data-year]')].map(c => [c.dataset.year, c.dataset.status])}))""")
    assert [r["agency"] for r in table] == [r["name"] for r in shown]
    for line, row in zip(table, shown, strict=True):
        assert {year: line[f"{year}_status"] for year, _ in row["cells"]} == dict(row["cells"])

    # The header search: an agency by name, then a report by a phrase of its text.
    name = names[0]
    page.fill("#site-q", name)
    page.press("#site-q", "Enter")
    page.locator("#agency-results a", has_text=name).first.click()
    assert page.locator("h1").inner_text() == name
    report_link = page.locator("#years a[href^='/reports/']").first
    report_link.click()
    phrase = page.locator(".prose").first.inner_text().replace("\n", "")[6:14]
    title = page.locator("h1").inner_text()
    page.fill("#site-q", phrase)
    page.press("#site-q", "Enter")
    assert title in page.locator("#report-results").inner_text()
    assert watched.problems == []


def test_payloads_show_as_text_and_run_nothing(site, watched):
    base, built = site
    report = built.reports[(PAYLOAD_AGENCY, 2023)]
    for path in (f"/reports/{report}", f"/agencies/{built.agencies[PAYLOAD_AGENCY]}", "/coverage?q=注入",
                 "/search?q=注入测试", "/search?q=" + SCRIPT.replace("<", "%3C").replace(">", "%3E")):
        page = watched.visit(base + path)
        assert page.evaluate("window.__xss") is None, path
        assert page.evaluate("document.querySelectorAll('script, img, iframe, object, embed').length") == 0, path
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript:\"]').length") == 0, path
    page = watched.visit(f"{base}/reports/{report}")
    assert page.locator("h1").inner_text() == PAYLOAD_TITLE
    assert SCRIPT in page.locator(".prose[data-section=overview]").inner_text()
    assert page.locator("td[data-key='applications.new_received.commercial']").inner_text().startswith(SCRIPT)
    assert "javascript:window.__xss=3" in page.locator("#source-table").inner_text()
    page.locator("#source-table .external").first.click()  # the URL is text: clicking it goes nowhere
    assert page.evaluate("window.__xss") is None
    page.locator(".crumbs a").click()
    assert page.locator("h1").inner_text() == PAYLOAD_AGENCY and page.evaluate("window.__xss") is None
    assert watched.problems == []
