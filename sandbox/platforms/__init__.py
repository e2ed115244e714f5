"""One module per CMS family; `PLATFORMS` maps a portal's family name to its implementation."""
from __future__ import annotations

from sandbox.platforms.base import Platform
from sandbox.platforms.generic import Generic
from sandbox.platforms.gkmlpt import Gkmlpt
from sandbox.platforms.hanweb import Hanweb
from sandbox.platforms.trs_dynamic import TrsDynamic
from sandbox.platforms.trs_static import TrsStatic
from sandbox.platforms.vsb import Vsb

PLATFORMS: dict[str, Platform] = {p.name: p for p in (TrsStatic(), TrsDynamic(), Hanweb(), Gkmlpt(), Vsb(), Generic())}
