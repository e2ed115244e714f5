"""Regions by division code, and which agencies belong to one.

Registries give division codes to governments (330000 a province, 330100 a city, 330102 a county, nine digits a
township) but rarely to departments, which sit under a government in the parent tree. So an agency's region is its
own code or, when it has none, its nearest ancestor's: 330102 for a county's 教育局.
"""
from __future__ import annotations

from sqlalchemy import CTE, Connection, Select, select

from archive.store.models import T

UNKNOWN = "—"
# Provinces by their two-digit code (GB/T 2260), for registries that list a province's cities but not it.
PROVINCES = {
    "11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区", "21": "辽宁省",
    "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省",
    "35": "福建省", "36": "江西省", "37": "山东省", "41": "河南省", "42": "湖北省", "43": "湖南省",
    "44": "广东省", "45": "广西壮族自治区", "46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省",
    "53": "云南省", "54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区", "71": "台湾省", "81": "香港特别行政区", "82": "澳门特别行政区",
}


def members(region: str) -> Select:
    """Ids of the agencies in the region: those coded under the prefix, and uncoded agencies below them."""
    ag = T["agencies"]
    child = ag.alias("region_child")
    tree = select(ag.c.id).where(ag.c.division_code.startswith(region, autoescape=True)).cte(
        "region_tree", recursive=True)
    tree = tree.union(select(child.c.id).join(tree, child.c.parent_id == tree.c.id)
                      .where(child.c.division_code.is_(None)))
    return select(tree.c.id)


def effective_codes(region: str | None = None) -> CTE:
    """(id, code) for every agency (of the region) with a coded ancestor-or-self: its own code, else the nearest
    ancestor's. Its ids are `members(region)`."""
    ag = T["agencies"]
    child = ag.alias("code_child")
    coded = ag.c.division_code.startswith(region, autoescape=True) if region else ag.c.division_code.is_not(None)
    codes = select(ag.c.id, ag.c.division_code.label("code")).where(coded).cte("effective_code", recursive=True)
    return codes.union_all(select(child.c.id, codes.c.code).join(codes, child.c.parent_id == codes.c.id)
                           .where(child.c.division_code.is_(None)))


def names(conn: Connection) -> dict[str, str]:
    """Division code → the government's name, for provinces, cities and counties (the regions charts name)."""
    ag = T["agencies"]
    rows = conn.execute(select(ag.c.division_code, ag.c.name).where(
        ag.c.kind == "government", ag.c.level.in_(("province", "prefecture", "county")),
        ag.c.division_code.is_not(None)).order_by(ag.c.id)).all()
    out: dict[str, str] = {}
    for code, name in rows:
        out.setdefault(code, name)
    return out


def label(known: dict[str, str], key: str) -> str:
    if key == UNKNOWN:
        return "未知地区"
    return known.get(key.ljust(6, "0")) or (PROVINCES.get(key, key) if len(key) == 2 else key)


def options(known: dict[str, str], selected: str | None) -> list[tuple[str, str]]:
    """Provinces, and the cities of the selected one, as (division-code prefix, name) for a select."""
    out = []
    for province in sorted({c[:2] for c in known if len(c) >= 6}):
        out.append((province, label(known, province)))
        if selected and selected[:2] == province:
            out += [(c[:4], "\u3000" + known[c]) for c in sorted(known)
                    if c[:2] == province and len(c) == 6 and c.endswith("00") and c[2:4] != "00"]
    if selected and selected not in {code for code, _ in out}:
        out.append((selected, label(known, selected)))
    return out
