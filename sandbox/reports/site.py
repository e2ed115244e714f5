"""The portal a report page sits on, derived from the agency so that pages of one agency agree."""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    name: str  # 岚皋县人民政府
    code: str  # 网站标识码: a six-digit division code and a four-digit serial
    column: str  # ColumnName of the report column
    icp: str

    @property
    def office(self) -> str:
        return self.name.removesuffix("人民政府") + "人民政府办公室"


def stable_hash(text: str) -> int:
    """A hash that does not change between runs (Python's hash() is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def site_for(agency: str) -> Site:
    # Departments and townships publish on their county's portal (集约化), so the site is the first division named.
    m = re.match(r"^(.+?(?:自治县|自治州|县|区|市|旗))", agency)
    division = m.group(1) if m else agency
    h = stable_hash(division)
    return Site(
        name=f"{division}人民政府",
        code=f"{610000 + h % 89999:06d}{h % 7 + 1:04d}",
        column="政府信息公开年报",
        icp=f"ICP备{h % 90000000 + 10000000}号",
    )
