"""A separate process that ingests a deterministic batch of synthetic captures (concurrency and crash tests).

python -m tests.archive.worker DB DATA COUNT [reverse] [big]
Prints "ingested N" after each commit so a parent can kill it mid-run.
"""
from __future__ import annotations

import sys

from archive.db import open_archive
from tests.archive import synthetic
from tests.conftest_archive import capture, ingestor

AGENCIES = 7


def items(count: int, big: bool = False):
    for i in range(count):
        agency, year = f"第{i % AGENCIES}街道", 2020 + (i // AGENCIES) % 3
        r = synthetic.report(agency, year, seed=f"{agency}{year}{i // (AGENCIES * 3)}")
        # Large bodies make the blob write (and its fsync) long enough for a kill to land inside it.
        padding = b"\x00" * (2_000_000 + i) if big else b""
        yield capture(f"https://p{i % 3}.gov.cn/{i}.html", i), synthetic.body(r) + padding, r


def main(argv: list[str]) -> None:
    db, data, count = argv[0], argv[1], int(argv[2])
    batch = list(items(count, "big" in argv))
    if "reverse" in argv:
        batch.reverse()
    ing = ingestor(open_archive(db, data))
    for n, (cap, body, report) in enumerate(batch, 1):
        ing.ingest(cap, body, report)
        print(f"ingested {n}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
