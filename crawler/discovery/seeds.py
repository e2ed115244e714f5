"""Where discovery starts: the 31 provincial portals, bundled (`data/provinces.csv`).

The list is that of PyPI `gov-site-list` 0.1.0 (MIT, `data/homepages/provincial.jsonl`), checked by hand against the
portals' own addresses and given each province's division code; a test checks the codes and names against the
national registry (`archive.registry.divisions`). It is bundled as a file rather than a dependency: 31 rows, which
change when a province moves its portal, and then here.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Seed:
    division_code: str  # 350000
    name: str  # 福建省人民政府
    portal_url: str  # https://www.fujian.gov.cn/


@cache
def seeds() -> tuple[Seed, ...]:
    text = resources.files("crawler.discovery").joinpath("data/provinces.csv").read_text(encoding="utf-8")
    return tuple(Seed(r["division_code"], r["name"], r["portal_url"]) for r in csv.DictReader(text.splitlines()))


def seed_for(province: str) -> Seed:
    """The seed of a province named as the registry names it (福建省), as its government (福建省人民政府), by its
    short name (福建) or by its code (350000, 35). LookupError names the choices."""
    wanted = province.strip()
    for seed in seeds():
        region = seed.name.removesuffix("人民政府")
        if wanted in (seed.division_code, seed.division_code[:2], seed.name, region) or \
                (len(wanted) >= 2 and region.startswith(wanted)):
            return seed
    names = "、".join(s.name.removesuffix("人民政府") for s in seeds())
    raise LookupError(f"no province {province!r}: one of {names}, or a division code")
