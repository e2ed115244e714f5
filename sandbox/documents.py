"""Report documents for the sandbox's pages: specs from `sandbox.reports.variants`, bytes from its renderers.

A report's spec is a pure function of (seed, agency, year, version), so the manifest and the server agree
without sharing state. HTML bodies, XLSX and table images are drawn on request (bounded LRUs); DOCX, PDF, DOC,
WPS and XLS take about a second each (python-docx, LibreOffice), so they are rendered in a worker process, in
batches, into a cache directory under the system temp dir that outlives the server, one folder per renderer
version, each file named by its content. `sandbox.prerender` puts the fast renderings there too before the server
answers, so that serving one costs a file read instead of its drawing.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import importlib.metadata
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from sandbox.reports.html_page import body_html
from sandbox.reports.labels import QUIRKS
from sandbox.reports.layout import TABLES, Paragraph, Table, letter_blocks, report_blocks
from sandbox.reports.normalize import fixed_zip
from sandbox.reports.render import Request, render_all, render_direct
from sandbox.reports.spec import ReportSpec
from sandbox.reports.variants import HEADING_STYLES, RULES, Plan, variant
from sandbox.seeding import digest, rng
from sandbox.table_image import font_path, table_png
from sandbox.world import Agency

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
# What rendered bytes depend on besides the spec: the renderers, the picture drawer, the labels they print.
RENDERER_SOURCES = (*sorted(REPORTS_DIR.glob("*.py")), Path(__file__).resolve().parent / "table_image.py",
                    Path(__file__).resolve().parent.parent / "pipelines" / "schema.py")
RENDERER_LIBRARIES = ("openpyxl", "pillow", "python-docx")
# The five seed reports as specs. sandbox.reports offers no accessor for them yet, so they are read where the
# fixture builder keeps them.
BASE_SPECS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "seeds"
FAST_FORMATS = ("xlsx",)
# Renderings besides attachments, as the store names their formats: an article body in an editor's markup
# (zlib-compressed HTML), a table drawn as a picture (the variant is the table's index).
BODY, PICTURE = "html.z", "png"
DRAWN = (*FAST_FORMATS, BODY, PICTURE)  # made in this process, in milliseconds
CONTENT_TYPES = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "doc": "application/msword", "wps": "application/vnd.ms-works", "xls": "application/vnd.ms-excel",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "png": "image/png"}


@lru_cache(maxsize=1)
def base_specs() -> tuple[ReportSpec, ...]:
    return tuple(ReportSpec.from_json(p.read_text(encoding="utf-8")) for p in sorted(BASE_SPECS.glob("*.json")))


@lru_cache(maxsize=1)
def renderer_version() -> str:
    """Changes whenever the renderers' code, libraries or font do, so cached documents never outlive what made
    them (a prerendered file must be the bytes drawing it now would give)."""
    h = hashlib.sha256()
    for path in RENDERER_SOURCES:
        h.update(path.read_bytes())
    h.update(repr([importlib.metadata.version(name) for name in RENDERER_LIBRARIES] + [font_path()]).encode())
    return h.hexdigest()[:12]


def _plan(seed: int, unit: Agency, year: int, template: str, version: int, year_in_title: bool) -> Plan:
    r = rng(seed, "plan", unit.name, year, version)
    quirks = r.sample(sorted(QUIRKS), r.choice((0, 0, 1, 1, 2)))
    value_quirks = []
    if r.random() < 0.3:
        value_quirks.append(r.choice(["na_slash", "na_dash", "na_text", "totals_only", "review_blank", "thousands",
                                      "fee_decimal" if template == "2021" else "amount_yuan"]))
    broken = r.choice(RULES) if r.random() < 0.08 else None
    return Plan(seed=digest(seed, "spec", unit.name, year, version), template=template, year=year,
                label_quirks=tuple(quirks), value_quirks=tuple(value_quirks), break_rule=broken,
                headings=r.choice(HEADING_STYLES[:1] * 4 + HEADING_STYLES[1:]), cover_letter=r.random() < 0.08,
                year_in_title=year_in_title)


@dataclass(frozen=True, slots=True)
class ReportRef:
    """Everything that fixes one report document; hashable, so caches key on it (a ReportSpec is mutable)."""
    seed: int
    unit: Agency
    year: int
    template: str
    title: str
    published: str  # ISO date
    version: int = 1  # 2: the revision, with other numbers

    @property
    def spec(self) -> ReportSpec:
        return spec_for(self)


# One thing a report's page or file is made of, as the store names it: (report, format, variant) — an attachment
# (variant ""), the article body (BODY, the editor's name) or a table picture (PICTURE, the table's index).
Rendering = tuple[ReportRef, str, str]


@lru_cache(maxsize=1024)
def spec_for(ref: ReportRef) -> ReportSpec:
    seed, unit, year = ref.seed, ref.unit, ref.year
    base = base_specs()[digest(seed, "base", unit.name, year) % len(base_specs())]
    plan = _plan(seed, unit, year, ref.template, ref.version, str(year) in ref.title)
    try:
        spec = variant(base, plan)
    except ValueError:  # variants refuses some combinations (a broken rule its quirk would blank): keep the error
        spec = variant(base, replace(plan, value_quirks=()))
    # variants picks an agency of its own; the world's agency replaces it everywhere it is printed.
    swap = lambda text: text.replace(spec.agency, unit.name)  # noqa: E731
    return replace(spec, agency=unit.name, title=ref.title, published=ref.published,
                   cover_letter=swap(spec.cover_letter) if spec.cover_letter else None,
                   preamble=[swap(p) for p in spec.preamble],
                   sections={k: [swap(p) for p in v] for k, v in spec.sections.items()})


def tables(spec: ReportSpec) -> list[Table]:
    return [build(spec) for build in TABLES.values()]


@lru_cache(maxsize=4096)
def _compressed_body(ref: ReportRef, editor: str) -> bytes:
    """The report in `editor`'s markup. Drawing takes ~3-8 ms, so bodies are kept, compressed (~5 KB each)."""
    spec = ref.spec
    return zlib.compress(body_html([*letter_blocks(spec), *report_blocks(spec)], editor).encode("utf-8"), 1)


def image_body(spec: ReportSpec, image_src: Callable[[int], str]) -> str:
    """The report with each table replaced by an <img> (the tables-only-as-an-image publication)."""
    blocks = [*letter_blocks(spec), *report_blocks(spec)]
    parts: list[str] = []
    run: list[Paragraph | Table] = []
    n = 0
    for block in blocks:
        if isinstance(block, Table):
            parts.append(body_html(run, "plain"))
            parts.append(f'<p style="text-align: center;"><img src="{image_src(n)}" border="0" '
                         f'alt="" style="max-width: 100%;" /></p>')
            run, n = [], n + 1
        else:
            run.append(block)
    parts.append(body_html(run, "plain"))
    return "\n".join(parts)


@lru_cache(maxsize=64)
def table_image(ref: ReportRef, n: int) -> bytes:
    return table_png(tables(ref.spec)[n])


def restamped(data: bytes, fmt: str, when: str) -> bytes:
    """The same document saved again on `when`: other bytes, the same content (a re-upload)."""
    if fmt in ("docx", "xlsx"):
        modified = rb"\g<1>" + when.encode() + b"T09:30:00Z"

        def stamp(xml: bytes) -> bytes:
            return re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", modified, xml)
        return fixed_zip(data, {"docProps/core.xml": stamp})
    # PDF and OLE files: a trailing comment or padding that every reader ignores.
    return data + f"\n% re-saved {when}\n".encode()


def draw(ref: ReportRef, fmt: str, variant: str = "") -> bytes:
    """A rendering whose format is DRAWN, drawn in this process."""
    if fmt == BODY:
        return _compressed_body(ref, variant)
    if fmt == PICTURE:
        return table_image(ref, int(variant))
    return _fast(ref, fmt)


def _put(path: str, data: bytes) -> None:
    """Move a file into place atomically: a reader never sees half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    Path(tmp).write_bytes(data)
    os.replace(tmp, path)


def _render_batch(jobs: list[tuple[ReportSpec, str]], paths: list[str]) -> None:
    """In the worker process: render, then move each file into place."""
    for data, path in zip(render_all([Request(s, f) for s, f in jobs]), paths):
        _put(path, data)


def child(module: str) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run `python -m module` of this checkout in a child process: a plain
    subprocess rather than multiprocessing, which would re-import the parent's __main__ (or fork its threads)."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    return [sys.executable, "-m", module], env


def _render_elsewhere(jobs: list[tuple[ReportSpec, str]], paths: list[str]) -> None:
    """Render in a child process (`python -m sandbox.documents`), so the server's interpreter stays free."""
    command, env = child("sandbox.documents")
    done = subprocess.run(command, input=pickle.dumps((jobs, paths)), capture_output=True, env=env, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"rendering failed: {done.stderr.decode(errors='replace')[-800:]}")


class DocumentStore:
    """Report renderings by (spec, format): the slow formats from the cache directory, the fast ones (attachments,
    article bodies, table pictures) from there once prerendered, else drawn inline."""

    def __init__(self, cache_dir: Path | None = None):
        self.root = cache_dir or Path(tempfile.gettempdir()) / "nianbao-sandbox-documents"
        self.dir = self.root / renderer_version()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: dict[str, concurrent.futures.Future] = {}
        self._made: dict[Rendering, str] = {}  # prerendered renderings → their files

    @lru_cache(maxsize=4096)  # noqa: B019 — one store per server; the key hashes the whole spec
    def path(self, ref: ReportRef, fmt: str, variant: str = "") -> Path:
        key = f"{fmt}\x1f{variant}\x1f{ref.spec.to_json()}"
        return self.dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.{fmt}"

    def ready(self, ref: ReportRef, fmt: str) -> bytes | None:
        if fmt in FAST_FORMATS:
            return self._drawn(ref, fmt, "")
        path = self.path(ref, fmt)
        return path.read_bytes() if path.exists() else None

    def body(self, ref: ReportRef, editor: str) -> str:
        """The report's article body in `editor`'s markup."""
        return zlib.decompress(self._drawn(ref, BODY, editor)).decode("utf-8")

    def picture(self, ref: ReportRef, n: int) -> bytes:
        """The report's table `n` drawn as a PNG."""
        return self._drawn(ref, PICTURE, str(n))

    def _drawn(self, ref: ReportRef, fmt: str, variant: str) -> bytes:
        if (path := self._made.get((ref, fmt, variant))) is not None:
            with contextlib.suppress(OSError):  # someone cleaned the cache directory: draw it again
                return Path(path).read_bytes()
        return draw(ref, fmt, variant)

    def make(self, ref: ReportRef, fmt: str, variant: str = "") -> Path:
        """A fast rendering's file in the cache directory, drawn now unless an earlier run left it."""
        path = self.path(ref, fmt, variant)
        if not path.exists():
            _put(str(path), draw(ref, fmt, variant))
        return path

    def adopt(self, files: Mapping[Rendering, str]) -> None:
        """Serve these renderings from these files (made by `make`, in any process) from now on."""
        self._made.update(files)

    def prune(self) -> None:
        """Delete what other renderer versions left in the cache directory: this code cannot serve it, and a whole
        world's renderings take ~200 MB."""
        for path in self.root.iterdir():
            with contextlib.suppress(OSError):
                if path.is_dir() and path != self.dir:
                    shutil.rmtree(path)
                elif path.is_file():  # from before the folders per version
                    path.unlink()

    def prewarm(self, jobs: Iterable[tuple[ReportRef, str]]) -> concurrent.futures.Future | None:
        """Render every missing slow document in one background batch (one soffice call per target)."""
        todo = [(r, f) for r, f in jobs if f not in FAST_FORMATS and not self.path(r, f).exists()
                and str(self.path(r, f)) not in self._pending]
        if not todo:
            return None
        paths = [str(self.path(r, f)) for r, f in todo]
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-render")
        future = self._pool.submit(_render_elsewhere, [(r.spec, f) for r, f in todo], paths)
        for p in paths:
            self._pending[p] = future
        return future

    async def get(self, ref: ReportRef, fmt: str) -> bytes:
        if (data := self.ready(ref, fmt)) is not None:
            return data
        path = str(self.path(ref, fmt))
        future = self._pending.get(path) or self.prewarm([(ref, fmt)])
        assert future is not None  # no file and none pending (above), so prewarm had this job to start
        await asyncio.wrap_future(future)
        self._pending.pop(path, None)
        return Path(path).read_bytes()  # noqa: ASYNC240 (a rendered file in the page cache: a thread costs more)

    def close(self) -> None:
        if self._pool:
            self._pool.shutdown(wait=False, cancel_futures=True)


@lru_cache(maxsize=128)
def _fast(ref: ReportRef, fmt: str) -> bytes:
    return render_direct(ref.spec, fmt)


if __name__ == "__main__":
    _render_batch(*pickle.loads(sys.stdin.buffer.read()))
