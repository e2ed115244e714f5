"""Extraction throughput and peak memory per format, on one core, beside a baseline in the same run: for PDF and
DOC/WPS the engine of the reader they replaced (pdfplumber's glyphs and tables; LibreOffice's conversion read as
DOCX), for the other formats the raw library call a user would make without nianbao.

Each format runs in its own subprocess pinned to one CPU, so its peak RSS is its own. The corpus is the fixture
corpus (tests/fixtures/docs), repeated until each measurement lasts at least a few seconds. Images are the sandbox's
table pictures (both forms, as drawn and as JPEG screenshots), read cold (OCR's cache emptied before each picture, as
for the first table a process sees) and warm (the cache kept, as for a portal whose tables look alike), against
tesseract's plain text OCR of the same pictures.

With `--variants`, it scores instead the whole variant corpus (sandbox/reports/variant_corpus.py: every class of
real-world departure from the national form, on every base report, in HTML, DOCX and PDF) and prints the share of
cells right per class and format, with the cells misplaced (a value in a wrong row or column) and missed (null).

    python -m bench.extraction [--seconds 3] [--json out.json]
    python -m bench.extraction --variants [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "docs"
TARGETS = {"html": 15, "docx": 30, "pdf": 15, "ofd": None, "xlsx": 100, "doc": 10, "wps": 10, "xls": None,
           "text": None, "image": None}


_OTHER_PROCESS = ("doc", "wps")  # their baseline works in LibreOffice's process: its CPU time says nothing


def _baseline(fmt: str):
    """The raw library call a user would make without nianbao, for the same bytes."""
    import io

    if fmt == "html":
        import trafilatura

        return lambda data: trafilatura.extract(data.decode("utf-8", "replace"))
    if fmt == "pdf":
        import pdfplumber

        def pdf_layout(data: bytes) -> None:
            """What the pdfplumber-based reader did before its layout stage (≈ 90 % of its time)."""
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page.chars, page.find_tables()
                    page.close()
        return pdf_layout
    if fmt == "ofd":
        import zipfile

        from lxml import etree

        def ofd_parts(data: bytes) -> None:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for name in archive.namelist():
                    etree.fromstring(archive.read(name))
        return ofd_parts
    if fmt == "docx":
        import docx

        return lambda data: [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    if fmt == "xlsx":
        import openpyxl

        return lambda data: list(openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    if fmt == "xls":
        import xlrd

        return lambda data: xlrd.open_workbook(file_contents=data).sheet_by_index(0).nrows
    if fmt == "image":
        import pytesseract
        from PIL import Image

        return lambda data: pytesseract.image_to_string(Image.open(io.BytesIO(data)), lang="chi_sim")
    if fmt in ("doc", "wps"):
        from pipelines.formats import docx, office

        # The reader before the direct Word 97 one, still the path for what that one leaves out.
        return lambda data: docx.read(office.convert(data, ".doc", ".docx", office.DOCX_FILTER))
    return lambda data: data.decode("utf-8", "replace").splitlines()


def _rate(fn, docs: list[bytes], seconds: float) -> float:
    return _rates(fn, docs, seconds)[0]


def _rates(fn, docs: list[bytes], seconds: float) -> tuple[float, float]:
    """Documents per second of wall time, and per second of this process's CPU time: on a shared machine the
    second holds where the first sinks with the load (work done in another process, LibreOffice's, is not in it)."""
    fn(docs[0])  # warm-up: imports, LibreOffice start
    n, start, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds or n < len(docs):
        fn(docs[n % len(docs)])
        n += 1
    return n / (time.perf_counter() - start), n / max(time.process_time() - cpu, 1e-9)


def _table_pictures() -> tuple[list[bytes], list[bytes]]:
    """The three tables of the five seed reports and of three variants (both forms), as PNG and as JPEG."""
    import io

    from PIL import Image

    from sandbox.documents import tables
    from sandbox.reports.seeds import seed_specs
    from sandbox.reports.variants import Plan, variant
    from sandbox.table_image import table_png

    seeds = seed_specs()
    specs = [*seeds.values(), *(variant(seeds[n], Plan(seed=20 + n, template=("2021", "2019")[n % 2]))
                                for n in range(3))]
    pngs = [table_png(t) for spec in specs for t in tables(spec)]
    jpegs = []
    for png in pngs:
        out = io.BytesIO()
        Image.open(io.BytesIO(png)).convert("RGB").save(out, "JPEG", quality=75)
        jpegs.append(out.getvalue())
    return pngs, jpegs


def _images(seconds: float) -> dict:
    from pipelines.extract import extract
    from pipelines.formats import image_tables

    def cold(data: bytes) -> None:
        image_tables._recognise.cache_clear()
        extract(data, "bench")

    pngs, jpegs = _table_pictures()
    rates = {"cold": _rate(cold, pngs, seconds), "jpeg_cold": _rate(cold, jpegs, seconds),
             "warm": _rate(lambda data: extract(data, "bench"), pngs, seconds)}
    base = _rate(_baseline("image"), pngs, seconds)
    return {"format": "image", "docs": len(pngs), "docs_per_s": round(rates["cold"], 2),
            "baseline_docs_per_s": round(base, 2), "ratio_to_baseline": round(rates["cold"] / base, 2),
            "s_per_table": {k: round(1 / v, 3) for k, v in rates.items()}, "baseline_s_per_table": round(1 / base, 3),
            "target": None, "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def measure(fmt: str, seconds: float) -> dict:
    """Runs inside the pinned subprocess."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    if fmt == "image":
        return _images(seconds)
    from pipelines.extract import extract
    from pipelines.sniff import sniff

    # The deliberately unreadable fixtures would make the raw library baseline raise; they are not throughput.
    docs = [p.read_bytes() for p in sorted(CORPUS.iterdir())
            if not p.name.endswith(".json") and not p.name.startswith("broken-") and sniff(p.read_bytes()) == fmt]
    if not docs:
        return {"format": fmt, "docs": 0}
    ours, ours_cpu = _rates(lambda data: extract(data, "bench"), docs, seconds)
    base, base_cpu = _rates(_baseline(fmt), docs, seconds)
    result = {"format": fmt, "docs": len(docs), "docs_per_s": round(ours, 1), "baseline_docs_per_s": round(base, 1),
              "ratio_to_baseline": round(ours / base, 2), "docs_per_cpu_s": round(ours_cpu, 1),
              "baseline_docs_per_cpu_s": None if fmt in _OTHER_PROCESS else round(base_cpu, 1),
              "target": TARGETS.get(fmt),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if fmt == "html":
        result.update(_parser_comparison(docs, seconds))
    return result


def _parser_comparison(docs: list[bytes], seconds: float) -> dict:
    """lxml vs BeautifulSoup(lxml) for the tables/links/meta pass: the reason html.py uses lxml directly."""
    import lxml.html
    from bs4 import BeautifulSoup

    from pipelines.decoding import decode

    texts = [decode(d)[0] for d in docs]
    lx = _rate(lambda t: lxml.html.document_fromstring(t).findall(".//td"), texts, seconds / 2)
    bs = _rate(lambda t: BeautifulSoup(t, "lxml").find_all("td"), texts, seconds / 2)
    return {"lxml_parse_per_s": round(lx, 1), "bs4_parse_per_s": round(bs, 1)}


def variants(json_path: str | None) -> int:
    from pipelines.extract import extract
    from sandbox.accuracy import score_variants, variant_table
    from sandbox.reports.variant_corpus import corpus

    progress = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    progress("rendering the variant corpus …")
    docs = corpus(progress=progress)
    progress(f"extracting {len(docs)} documents …")
    scores = score_variants(docs, extract)
    print(variant_table(scores))
    if json_path:
        Path(json_path).write_text(json.dumps(
            [{"class": c, "format": f, "cells": s.cells, "right": s.cells_ok, "missed": s.cells_missed,
              "misplaced": s.cells_misplaced, "docs": s.docs, "docs_ok": s.docs_ok} for (c, f), s in scores.items()],
            indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--formats", default=",".join(TARGETS))
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--variants", action="store_true", help="score the variant corpus instead of timing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variants:
        return variants(args.json)
    if args.child:
        print(json.dumps(measure(args.child, args.seconds)))
        return 0
    results = []
    for fmt in args.formats.split(","):
        print(f"measuring {fmt} …", file=sys.stderr, flush=True)
        out = subprocess.run([sys.executable, "-m", "bench.extraction", "--child", fmt, "--seconds",
                              str(args.seconds)], capture_output=True, text=True, check=True)
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = results[-1]
        if r["docs"]:
            verdict = "" if r["target"] is None else (" ✓" if r["docs_per_s"] >= r["target"] else " ✗ below target")
            if fmt == "image":
                t = r["s_per_table"]
                print(f"image {r['docs_per_s']:8.2f} tables/s: {t['cold']} s a table picture cold, {t['jpeg_cold']} s "
                      f"as JPEG, {t['warm']} s warm; baseline (tesseract's plain text) {r['baseline_s_per_table']} s "
                      f"a picture; ratio {r['ratio_to_baseline']}; peak RSS {r['peak_rss_mb']} MB")
                continue
            base_cpu = r["baseline_docs_per_cpu_s"]
            print(f"{fmt:5} {r['docs_per_s']:8.1f} docs/s (target {r['target']}){verdict}, {r['docs_per_cpu_s']} per "
                  f"CPU-s; baseline {r['baseline_docs_per_s']:.1f} docs/s"
                  + (f", {base_cpu} per CPU-s" if base_cpu is not None else "")
                  + f"; ratio {r['ratio_to_baseline']}; peak RSS "
                  f"{r['peak_rss_mb']} MB" + (f"; lxml {r['lxml_parse_per_s']}/s vs bs4 {r['bs4_parse_per_s']}/s"
                                              if "lxml_parse_per_s" in r else ""))
        else:
            print(f"{fmt:5} no documents in the corpus")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
