"""Agency names as reports write them: a government's report is published by its general office and titled with
either name (汉阳区人民政府 / 汉阳区政府办公室 / 汉阳区), a township as 镇 or 镇人民政府, a street office as 街道 or
街道办事处 (domain.md §5 "Attribution"). The registry registers these variants as aliases of one agency."""
from __future__ import annotations

import re

_GOVERNMENT = re.compile(r"^(?P<place>.+?)(?:人民政府|政府)$")
_STREET = re.compile(r"^(?P<place>.+街道)(?:办事处)?$")


def aliases(name: str, kind: str) -> tuple[str, ...]:
    """Other names a report title may give the agency `name` (not including `name` itself)."""
    out: list[str] = []
    if match := _STREET.match(name):
        out += [match["place"], match["place"] + "办事处"]
    elif kind == "government" and (match := _GOVERNMENT.match(name)):
        place = match["place"]
        out += [place, place + "人民政府", place + "政府", place + "人民政府办公室", place + "政府办公室",
                place + "人民政府办公厅", place + "政府办公厅"]
    return tuple(dict.fromkeys(a for a in out if a != name))
