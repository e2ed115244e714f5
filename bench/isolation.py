"""Supervised extraction workers (pipelines.workers) against the plain process pool the crawl used before them, on
the fixture corpus; and what each hostile input costs: its outcome, time and its worker's peak RSS.

Both pools have two spawned workers, are warmed up on the corpus once (imports, LibreOffice), then timed over the
corpus in alternation, so that a busy machine weighs on both alike. The ratio is what to read (the median of each
round's), not the rates.

    python -m bench.isolation [--rounds 3] [--formats html,xlsx] [--hostile]
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from pipelines.extract import extract
from pipelines.workers import ExtractionPool

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "docs"
WORKERS = 2


def _corpus(suffixes: set[str] | None) -> list[tuple[bytes, str]]:
    return [(p.read_bytes(), p.name) for p in sorted(CORPUS.iterdir())
            if not p.name.endswith(".expected.json") and (not suffixes or p.suffix.lstrip(".") in suffixes)]


def _timed(run: Callable[[], list], docs: int) -> float:
    started = time.perf_counter()
    results = run()
    assert len(results) == docs
    return docs / (time.perf_counter() - started)


def throughput(rounds: int, suffixes: set[str] | None = None) -> dict:
    docs = _corpus(suffixes)
    data, sources = [d for d, _ in docs], [s for _, s in docs]
    with ProcessPoolExecutor(WORKERS, mp_context=get_context("spawn")) as plain, ExtractionPool(WORKERS) as isolated:
        runs = {"process pool": lambda: list(plain.map(extract, data, sources)),
                "supervised workers": lambda: isolated.map(docs)}
        for run in runs.values():
            run()  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                rates[name].append(_timed(run, len(docs)))
    best = {name: max(r) for name, r in rates.items()}
    # Each round's two runs back to back: the machine's load shifts between rounds more than within one.
    ratios = sorted(s / p for s, p in zip(rates["supervised workers"], rates["process pool"]))
    return {"documents": len(docs), "rates": rates, "best": best, "ratio": ratios[len(ratios) // 2]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", help="file suffixes of the corpus to use, e.g. html,xlsx (default: all)")
    parser.add_argument("--hostile", action="store_true", help="also each hostile input of sandbox/hostile.py")
    args = parser.parse_args()
    found = throughput(args.rounds, set(args.formats.split(",")) if args.formats else None)
    for name, rates in found["rates"].items():
        print(f"{name:20} {' '.join(f'{r:6.1f}' for r in rates)} docs/s (best {found['best'][name]:.1f})")
    print(f"supervised / plain: {found['ratio']:.3f} (median of the rounds' ratios) over {found['documents']} "
          "documents")
    if args.hostile:
        from sandbox.hostile import CASES, probe

        for name, limits, *_ in CASES:
            result = probe(name, **limits)
            outcome = f"{result['error_kind']}: {result['error']}" if result["error"] else \
                f"read (is_report={result['is_report']})"
            print(f"{name:22} {limits or ''!s:22} {result['bytes'] / 1024:9.0f} KB {result['seconds']:6.2f} s "
                  f"{result['peak_mb']:5d} MB  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
