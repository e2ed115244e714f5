"""No function in archive/ or crawler/ above the complexity limit (issue 14 item 8), as radon counts it.

The limit is ruff's (`max-complexity` in pyproject.toml, read from there). Ruff's mccabe rule counts branches and
loops; radon also counts each boolean operator, conditional expression and comprehension clause. Those are where
long functions hid their decisions: with ruff's rule passing, radon still found 8 functions over 15, one at 34.
Methods, closures and inner classes are counted on their own, as `radon cc` lists them.
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from radon.complexity import add_inner_blocks, cc_visit

from tests.support import ROOT

CHECKED = ("archive", "crawler")
LIMIT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]["mccabe"][
    "max-complexity"]


def over_limit(source: str) -> dict[str, int]:
    """{name: complexity} of the functions and classes of `source` above LIMIT."""
    return {b.fullname: b.complexity for b in add_inner_blocks(cc_visit(source)) if b.complexity > LIMIT}


def test_the_count_includes_boolean_operators_and_closures():
    def conjunction(operands: int) -> str:
        return " and ".join(f"x[{i}]" for i in range(operands))

    assert LIMIT == 15
    assert over_limit(f"def f(x):\n    return {conjunction(LIMIT)}\n") == {}
    assert over_limit(f"def f(x):\n    return {conjunction(LIMIT + 1)}\n") == {"f": LIMIT + 1}
    closure = f"def outer():\n    def inner(x):\n        return {conjunction(LIMIT + 1)}\n    return inner\n"
    assert over_limit(closure) == {"outer.inner": LIMIT + 1}


def test_no_function_in_archive_or_crawler_is_above_the_limit():
    paths = [p for top in CHECKED for p in sorted((ROOT / top).rglob("*.py"))]
    assert len(paths) > 100

    def where(path: Path, name: str) -> str:
        return f"{path.relative_to(ROOT)}: {name}"

    found = {where(p, name): c for p in paths for name, c in over_limit(p.read_text(encoding="utf-8")).items()}
    assert not found, f"above complexity {LIMIT} (split into named steps): {found}"
