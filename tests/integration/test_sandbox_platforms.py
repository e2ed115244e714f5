"""Each CMS family's pages and APIs answer with the request and response shapes of domain.md §5."""
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from urllib.parse import urljoin

import pytest

from sandbox.app import Options, Sandbox
from sandbox.platforms.gkmlpt import site_id
from sandbox.platforms.hanweb import COL_BASE, web_id
from sandbox.platforms.trs_dynamic import channel_id
from tests.support.sandbox_client import fetch, links, text


@pytest.fixture(scope="module")
def sb():
    return Sandbox(Options(scale=12, seed=2))


def portal(sb, family):
    return next(p for p in sb.world.portals if p.family == family and len(p.units) > 1)


def busiest(sb, p):
    """The portal's column with the most items (the news, mostly: several pages in every family)."""
    site = sb.site(p)
    return max(site.columns.values(), key=lambda c: len(site.visible(c.key, sb.today)))


def reports_in(sb, p, col):
    site, platform = sb.site(p), sb.platform(p)
    return {f"http://{p.netloc}{platform.item(site, i)}" for i in site.visible(col.key, sb.today)}


def test_trs_static_pages_counted_by_create_page_html(sb):
    p = portal(sb, "trs_static")
    col, platform, site = busiest(sb, p), sb.platform(p), sb.site(p)
    first = f"http://{p.netloc}{platform.column(site, col.key)}"
    page = text(fetch(sb, first))
    count = int(re.search(r'createPageHTML\((\d+), 0, "index", "(s?html?)"\)', page)[1])
    assert count > 1 and re.search(r'href="\./\d{6}/t\d{8}_\d+\.s?html?"', page)
    found = set()
    for n in range(count):
        url = first if n == 0 else f"{first}index_{n}.{platform.column(site, col.key, 2).rsplit('.', 1)[1]}"
        found |= links(url, fetch(sb, url))
    assert reports_in(sb, p, col) <= found
    assert fetch(sb, f"{first}index_{count}.html").status in (200, 404)


def test_trs_dynamic_static_first_page_then_search_api(sb):
    p = portal(sb, "trs_dynamic")
    col, platform, site = busiest(sb, p), sb.platform(p), sb.site(p)
    url = f"http://{p.netloc}{platform.column(site, col.key)}"
    page = text(fetch(sb, url))
    config = json.loads(re.search(r"var pageConfig = (\{.*?\});", page)[1])
    assert config["classsql"] == f"chnlid={col.cid}" and config["channelid"] == str(channel_id(site))
    static = links(url, fetch(sb, url)) & reports_in(sb, p, col)
    assert len(static) <= p.page_size < config["recordCount"]
    api = f"http://{p.netloc}{config['url']}"
    found = set()
    for n in range(1, 4):
        body = f"channelid={config['channelid']}&classsql=chnlid%3D{col.cid}&page={n}&prepage=10&sortfield=-docreltime"
        response = fetch(sb, api, "POST", body)
        data = json.loads(response.body)
        assert data["total"] == config["recordCount"]
        assert {"doctitle", "docreltime", "docpuburl"} <= set(data["data"][0])
        found |= links(api, response)
    assert len(found) == 30
    assert json.loads(fetch(sb, api, "POST", "channelid=1&classsql=chnlid%3D1&page=1").body)["total"] == 0


def test_hanweb_column_datastore_and_dataproxy(sb):
    p = portal(sb, "hanweb")
    col, platform, site = busiest(sb, p), sb.platform(p), sb.site(p)
    url = f"http://{p.netloc}{platform.column(site, col.key)}"
    page = text(fetch(sb, url))
    assert re.search(r"/col/col\d+/index\.html", url)
    assert "<datastore>" in page and "<![CDATA[" in page and f"columnid: {COL_BASE + col.cid}" in page
    total = int(re.search(r"totalRecord: (\d+)", page)[1])
    unit = re.search(r"unitid: (\d+)", page)[1]
    form = (f"col=1&appid=1&webid={web_id(site)}&path=/&columnid={COL_BASE + col.cid}&sourceContentType=1"
            f"&unitid={unit}&webname=x&permissiontype=0")
    proxy = f"http://{p.netloc}/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord={total}&perpage=20"
    response = fetch(sb, proxy, "POST", form)
    root = ET.fromstring(response.body)
    assert int(root.findtext("totalrecord")) == total and len(root.find("recordset")) == total
    assert reports_in(sb, p, col) <= links(proxy, response)
    assert re.search(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html", response.body.decode())
    old = (f"http://{p.netloc}/module/jpage/dataproxy.jsp?page=2&appid=1&webid={web_id(site)}&path=/"
           f"&columnid={COL_BASE + col.cid}&permissiontype=0")
    assert len(ET.fromstring(fetch(sb, old).body).find("recordset")) == min(p.page_size, total - p.page_size)
    browser = f"{url}?uid={unit}&pageNum=2"
    assert fetch(sb, browser).status == 200


def test_gkmlpt_shell_and_json_api(sb):
    p = portal(sb, "gkmlpt")
    platform, site = sb.platform(p), sb.site(p)
    openness = text(fetch(sb, f"http://{p.netloc}{platform.openness(site)}"))
    directories = re.findall(r'href="((?:/[a-z]+)?/gkmlpt/index)"', openness)
    assert len(directories) == len(p.units)
    shell = text(fetch(sb, f"http://{p.netloc}{directories[1]}"))
    assert f"SID: '{site_id(site)}'" in shell and '<div id="app"></div>' in shell
    tree = json.loads(re.search(r"TREE: (\[.*?\]), SERVICE_AREA_ID", shell)[1])
    column = next(node for node in tree if node["name"] == "政府信息公开年报")
    api = f"http://{p.netloc}{directories[1].removesuffix('/index')}/api/all/{column['id']}?page=1&sid={site_id(site)}"
    data = json.loads(fetch(sb, api).body)
    assert data["total"] == column["post_count"] == len(data["articles"]) > 0
    article = data["articles"][0]
    assert {"id", "title", "url", "created_at"} <= set(article)
    assert re.search(r"/gkmlpt/content/\d+/\d+/post_\d+\.html$", article["url"])
    assert fetch(sb, article["url"]).status == 200
    assert json.loads(fetch(sb, api.replace(f"sid={site_id(site)}", "sid=1")).body)["code"] == 1


def test_vsb_pages_count_down(sb):
    p = portal(sb, "vsb")
    col, platform, site = busiest(sb, p), sb.platform(p), sb.site(p)
    calls = platform.listing_calls(site, col.key, sb.today)
    assert calls[0].url.endswith(".htm") and len(calls) > 1
    numbers = [int(c.url.rsplit("/", 1)[1][:-4]) for c in calls[1:]]
    assert numbers == sorted(numbers, reverse=True) and numbers[-1] == 1
    first = f"http://{p.netloc}{calls[0].url}"
    page = text(fetch(sb, first))
    nxt = re.search(r'<a href="([^"]+)">下页</a>', page)[1]
    assert f"http://{p.netloc}{calls[1].url}" == urljoin(first, nxt)
    found = set()
    for call in calls:
        found |= links(f"http://{p.netloc}{call.url}", fetch(sb, f"http://{p.netloc}{call.url}"))
    assert reports_in(sb, p, col) <= found
    assert all(re.search(r"/info/\d+/\d+\.htm$", u) for u in reports_in(sb, p, col))


def test_generic_next_page_links(sb):
    p = portal(sb, "generic")
    col, platform, site = busiest(sb, p), sb.platform(p), sb.site(p)
    url, found, seen = f"http://{p.netloc}{platform.column(site, col.key)}", set(), 0
    while url and seen < 50:
        response = fetch(sb, url)
        assert response.status == 200
        found |= links(url, response)
        nxt = re.search(r'<a href="([^"]+)">下一页</a>', text(response))
        url = urljoin(url, nxt[1].replace("&amp;", "&")) if nxt else None
        seen += 1
    assert seen > 1 and reports_in(sb, p, col) <= found


def test_routing_is_strict(sb):
    for p in sb.world.portals:
        if p.down or len(p.units) == 1:
            continue
        site, platform = sb.site(p), sb.platform(p)
        item = next(i for i in site.items.values() if i.kind == "report")
        good = f"http://{p.netloc}{platform.item(site, item)}"
        assert fetch(sb, good).status == 200
        other_column = next(c for c in site.columns if c != item.column and not c.startswith("gk/"))
        for fake in (replace(item, id=item.id + 10_000_000), replace(item, column=other_column)):
            response = fetch(sb, f"http://{p.netloc}{platform.item(site, fake)}")
            assert response.status == 404 or "页面不存在" in text(response), fake
