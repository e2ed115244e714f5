"""A separate process that ingests a deterministic batch of synthetic captures (concurrency and crash tests).

python -m tests.support.archive_worker DB DATA COUNT [reverse] [big] [batch]
python -m tests.support.archive_worker DB DATA COUNT copies SIDE
Prints "ingested N" after each commit so a parent can kill it mid-run. `batch`: through ingest_many, three captures
a transaction, two transactions a call. `copies`: COUNT reports of agencies on SIDE (甲 or 乙), the i-th worded like
the other side's i-th.
"""
from __future__ import annotations

import sys

from archive.store.db import open_archive
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor

AGENCIES = 7
BATCH = 3


def items(count: int, big: bool = False):
    for i in range(count):
        agency, year = f"第{i % AGENCIES}街道", 2020 + (i // AGENCIES) % 3
        r = synthetic.report(agency, year, seed=f"{agency}{year}{i // (AGENCIES * 3)}")
        # Large bodies make the blob write (and its fsync) long enough for a kill to land inside it.
        padding = b"\x00" * (2_000_000 + i) if big else b""
        yield capture(f"https://p{i % 3}.gov.cn/{i}.html", i), synthetic.body(r) + padding, r


def copies(count: int, side: str):
    for i in range(count):
        r = synthetic.report(f"{side}县第{i}局", 2023, seed=f"copy{i}")
        r.fields = synthetic.fields(f"{side}{i}")  # their own numbers: only the wording is copied
        yield capture(f"https://{'ab'[side == '乙']}.gov.cn/{i}.html", i), synthetic.body(r), r


def main(argv: list[str]) -> None:
    db, data, count = argv[0], argv[1], int(argv[2])
    batch = list(copies(count, argv[4]) if "copies" in argv else items(count, "big" in argv))
    if "reverse" in argv:
        batch.reverse()
    ing = ingestor(open_archive(db, data))
    if "batch" in argv:  # two batches a call, so that one is written while the next is prepared
        for n in range(0, len(batch), 2 * BATCH):
            ing.ingest_many(batch[n:n + 2 * BATCH], BATCH)
            print(f"ingested {min(n + 2 * BATCH, len(batch))}", flush=True)
        return
    for n, (cap, body, report) in enumerate(batch, 1):
        ing.ingest(cap, body, report)
        print(f"ingested {n}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
