"""The dependency rules of ARCHITECTURE.md, read from the code: which package may import which, no import cycle
between modules, no private name imported from another package, and a product that runs without the sandbox.

Imports are read with `ast`, those inside functions included (a lazy import is still a dependency).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support import ROOT

PRODUCT = ("pipelines", "archive", "crawler")
# What each top-level package may import of ours: pipelines depends on nothing of ours, archive on pipelines,
# crawler on both; the sandbox (a test instrument) drives the product; the benchmarks use all of it but the tests.
ALLOWED = {
    "pipelines": set(),
    "archive": {"pipelines"},
    "crawler": {"archive", "pipelines"},
    "sandbox": {"crawler", "archive", "pipelines"},
    "bench": {"crawler", "archive", "pipelines", "sandbox"},
    "tests": {"crawler", "archive", "pipelines", "sandbox"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for top in ALLOWED for p in (ROOT / top).rglob("*.py")}


def imports(name: str) -> Iterator[tuple[str, str | None, int]]:
    """(module, name imported from it or None, line) for every import statement of module `name`."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            for alias in node.names:
                yield module, alias.name, node.lineno


def target(module: str, name: str | None) -> str | None:
    """The module of ours an import loads: `from a import b` is module a.b when that exists, else a."""
    if name and f"{module}.{name}" in MODULES:
        return f"{module}.{name}"
    while module and module not in MODULES:
        module = module.rpartition(".")[0]
    return module or None


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        for module, imported, _ in imports(name):
            found = target(module, imported)
            if found and found != name:
                edges[name].add(found)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_reader_finds_imports_of_every_kind():
    """The checks below see top-level and lazy imports (else they could pass on code they cannot read)."""
    edges = graph()
    assert {"crawler.cli.archive", "crawler.cli.schedule"} <= edges["crawler.cli"]  # `from crawler.cli import …`
    assert {"crawler.cli.options", "crawler.process"} <= edges["crawler.cli.crawl"]  # the second inside cmd_crawl
    assert "sandbox.demo" in edges["sandbox.commands"]  # imported inside cmd_demo
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_packages_import_only_downward():
    wrong = []
    for name in MODULES:
        top = name.split(".")[0]
        for module, _imported, line in imports(name):
            other = module.split(".")[0]
            if other in ALLOWED and other != top and other not in ALLOWED[top]:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {module}")
    assert not wrong, "imports against ARCHITECTURE.md's dependency rules:\n" + "\n".join(wrong)


# The archive owns its tables and is the only writer of each: other packages call its named functions.
TABLE_MODULES = ("archive.store.models", "archive.store.sql")


def test_only_the_archive_touches_its_tables():
    wrong = []
    for name in MODULES:
        if name.split(".")[0] not in ("crawler", "pipelines"):
            continue
        for module, imported, line in imports(name):
            found = target(module, imported)
            if found in TABLE_MODULES or module in TABLE_MODULES:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {found or module}")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    assert cycles(graph()) == []


def test_no_private_name_is_imported_from_another_package():
    """A helper another package needs is public (the tests, which look inside, are exempt)."""
    wrong = []
    for name in MODULES:
        if name.startswith("tests"):
            continue
        for module, imported, line in imports(name):
            if imported and imported.startswith("_") and not imported.startswith("__") \
                    and module.split(".")[0] in ALLOWED and module.split(".")[0] != name.split(".")[0]:
                wrong.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported} from {module}")
    assert not wrong, "\n".join(wrong)


# Where the product may read or write the process's environment, and why; anywhere else a value comes from the
# settings (crawler/settings.py) or a parameter.
ENVIRONMENT = {
    "crawler.settings": "NIANBAO_DB and NIANBAO_DATA, where both nianbao's and Scrapy's command lines start",
    "crawler.cli.schedule": "the crontab command and the systemd unit folder of `nianbao schedule`",
    "crawler.fetch.middlewares":
        "the proxy variables Scrapy's HttpProxyMiddleware follows (the host guard checks them)",
    "pipelines.formats.image": "tesseract's thread limit, which it reads from its environment",
    "pipelines.formats.office": "the environment LibreOffice is started with",
    "pipelines.formats.image_tables": "where tesseract's language data is (TESSDATA_PREFIX)",
    "pipelines.workers": "the thread limits of the extraction worker processes it starts",
}


def test_the_environment_is_read_only_at_the_edges():
    readers = set()
    for name in MODULES:
        if name.split(".")[0] not in PRODUCT:
            continue
        tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "putenv") \
                    and isinstance(node.value, ast.Name) and node.value.id == "os":
                readers.add(name)
    assert readers == set(ENVIRONMENT)


# Modules that cannot be imported as a library: LibreOffice's own Python runs the first, Alembic the second.
NOT_IMPORTABLE = {"pipelines.formats.uno_worker", "archive.store.migrations.env"}
WITHOUT_SANDBOX = """
import importlib, sys
sys.modules["sandbox"] = None  # import sandbox → ImportError, as when it is not installed
sys.modules["openpyxl"] = None  # the sandbox extra's dependency
for name in sys.argv[1:]:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("sandbox", "openpyxl") and sys.modules[m] is not None)
assert not leaked, leaked
from crawler.cli import main
sys.exit(main(["demo", "--scale", "3"]))
"""


def test_the_product_runs_without_the_sandbox():
    """Every module of crawler, pipelines and archive imports with the sandbox and its extra's dependency missing,
    and `nianbao demo` then says how to install them instead of failing."""
    names = sorted(n for n in MODULES if n.split(".")[0] in PRODUCT and n not in NOT_IMPORTABLE
                   and not n.endswith("__main__"))
    assert len(names) > 100 and "crawler.spiders.reports" in names and "archive.web.app" in names
    done = subprocess.run([sys.executable, "-c", WITHOUT_SANDBOX, *names], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2, done.stderr
    assert "nianbao demo needs the sandbox" in done.stderr and "pip install 'nianbao[sandbox]'" in done.stderr
