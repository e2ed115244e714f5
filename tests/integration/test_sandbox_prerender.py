"""Prerendering: a sandbox that made its documents, table pictures and article bodies ahead of time serves, over
real sockets, exactly the statuses, headers and bytes of one that draws them on request, hazards included, and
draws nothing while serving."""
import datetime as dt
import http.client
import shutil

import pytest

from sandbox import documents, hazards
from sandbox.app import Options, Sandbox
from sandbox.manifest import manifest
from sandbox.server import ServerThread

# Every report form and format of a world with one report per slow format (if LibreOffice can make them).
OPTIONS = {"scale": 5, "seed": 5, "documents_per_format": 1 if shutil.which("soffice") else 0, "slow_seconds": 0.01}
DRAWINGS = (documents._fast, documents.table_image, documents._compressed_body)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("documents")


@pytest.fixture(scope="module")
def sandboxes(folder):
    prerendered = Sandbox(Options(**OPTIONS, cache_dir=folder))
    prerendered.prerender(processes=2)
    on_demand = Sandbox(Options(**OPTIONS, cache_dir=folder))  # the slow formats' files are shared, as ever
    with ServerThread(prerendered.handle) as a, ServerThread(on_demand.handle) as b:
        yield (prerendered, a), (on_demand, b)
    prerendered.close()
    on_demand.close()


@pytest.fixture(scope="module")
def truth(sandboxes):
    return manifest(sandboxes[1][0], fields=False)


def requests(truth) -> list[tuple[str, str, str | None]]:
    """The minimum request set (robots, navigation, listings and their APIs, challenges, retries), then every
    report document it leaves out (the copies on departments' own sites)."""
    out = [(e["method"], e["url"], e["body"]) for e in truth["minimum_requests"]]
    listed = {url for _, url, _ in out}
    return out + [("GET", url, None) for r in truth["reports"] for d in r["documents"]
                  for url in [d["url"], *d.get("parts", [])] if url not in listed]


def answers(sandbox, server, method, url, body=None, **headers) -> list[tuple[int, list[tuple[str, str]], bytes]]:
    """Every response a crawler holding the WAF cookies gets for `url`, a 500 and its retry both."""
    portal = sandbox.world.portal(url.split("/")[2])
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    if portal:
        headers["Cookie"] = "; ".join(f"{n}={hazards.cookie_value(portal, sandbox.world.seed)}"
                                      for _, n in hazards.WAF.values())
    out = []
    for _ in range(2):
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        conn.request(method, url, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        out.append((response.status, [(k, v) for k, v in response.getheaders() if k != "Date"], response.read()))
        conn.close()
        if response.status != 500:
            break
    return out


def test_every_request_gets_the_same_answer_and_nothing_is_drawn_to_serve_it(sandboxes, truth):
    (prerendered, a), (on_demand, b) = sandboxes
    calls = requests(truth)
    assert {d["format"] for r in truth["reports"] for d in r["documents"]} >= {"html", "xlsx", "png"}
    for drawing in DRAWINGS:
        drawing.cache_clear()
    served = [answers(prerendered, a, *call) for call in calls]
    assert all(drawing.cache_info().misses == 0 for drawing in DRAWINGS)
    drawn = [answers(on_demand, b, *call) for call in calls]
    assert all(drawing.cache_info().misses > 0 for drawing in DRAWINGS)
    different = [call for call, x, y in zip(calls, served, drawn) if x != y]
    assert not different, different[:5]
    statuses = {status for answer in served for status, _, _ in answer}
    assert {200, 500} <= statuses and any(h == "ETag" for answer in served for _, hs, _ in answer for h, _ in hs)


def test_a_revised_report_before_its_revision_and_a_conditional_get(sandboxes, truth):
    (prerendered, a), (on_demand, b) = sandboxes
    report = next(r for r in truth["reports"] if len(r["versions"]) > 1)
    before = dt.date.fromisoformat(report["versions"][1]["from"]) - dt.timedelta(days=1)
    try:
        for sandbox in (prerendered, on_demand):
            sandbox.today = before
        for doc in report["documents"]:
            served, drawn = answers(prerendered, a, "GET", doc["url"]), answers(on_demand, b, "GET", doc["url"])
            assert served == drawn and served[-1][0] == 200
    finally:
        for sandbox in (prerendered, on_demand):
            sandbox.today = dt.date.fromisoformat(truth["today"])
    picture = next(d["url"] for r in truth["reports"] for d in r["documents"] if d["format"] == "png")
    etag = dict(answers(prerendered, a, "GET", picture)[-1][1])["ETag"]
    assert answers(prerendered, a, "GET", picture, **{"If-None-Match": etag})[-1][0] == 304


def test_the_huge_attachment_still_streams(sandboxes, truth):
    (_prerendered, a), (_on_demand, _b) = sandboxes
    url = next(h for h in truth["hazards"] if h["kind"] == "huge_attachment")["urls"][0]
    heads = [answers(sandbox, server, "HEAD", url) for sandbox, server in sandboxes]
    assert heads[0] == heads[1] and dict(heads[0][-1][1])["Content-Length"] == str(100 * 1024 * 1024)
    conn = http.client.HTTPConnection(a.host, a.port, timeout=30)
    conn.request("GET", url)
    assert conn.getresponse().read(1 << 20).startswith(b"%PDF-")
    conn.close()


def test_a_second_prerender_reuses_its_files_drops_older_ones_and_a_lost_file_is_drawn_again(sandboxes, folder, truth):
    (prerendered, _a), (on_demand, b) = sandboxes
    made = prerendered.store.dir
    (folder / "0123456789ab").mkdir()  # another renderer version's folder
    (folder / "0123456789ab" / "x.xlsx").write_bytes(b"old")
    stamps = {p: p.stat().st_mtime_ns for p in made.iterdir()}
    again = Sandbox(Options(**OPTIONS, cache_dir=folder))
    again.prerender(processes=1)
    assert {p: p.stat().st_mtime_ns for p in made.iterdir()} == stamps and list(folder.iterdir()) == [made]
    sheet = next(d["url"] for r in truth["reports"] for d in r["documents"] if d["format"] == "xlsx")
    expected = answers(on_demand, b, "GET", sheet)
    for path in made.glob("*.xlsx"):
        path.unlink()
    with ServerThread(again.handle) as server:
        assert answers(again, server, "GET", sheet) == expected
    again.close()
