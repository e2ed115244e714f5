"""Near-duplicate prose (rule S5): one-permutation MinHash with LSH banding.

Reports share long template passages, so a whole-text SimHash calls every pair similar; MinHash over character
shingles estimates the Jaccard similarity of the shingle sets, which does separate copied reports from merely
templated ones (see tests/test_archive_neardup.py for the measured figures on the seed reports).

One hash per shingle, binned into K slots (Li, Owen & Zhang 2012, one-permutation hashing, with rotation
densification for empty slots, Shrivastava 2017) costs one hash per shingle instead of K, which keeps it cheap in
pure Python. Digits are folded to 0 first: a report copied from the previous year with new numbers is still a copy.
"""
from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Mapping
from typing import Any

from archive.identity import canonical_fields

SLOTS = 128
# 32 bands of 4 rows: a pair at similarity 0.6 shares a band with probability 0.99, a pair at 0.05 with 0.0002.
BANDS = 32
ROWS = SLOTS // BANDS
SHINGLE = 5
# Measured on the five seeds (distinct agencies, same template): every pair ≤ 0.03 (exact Jaccard ≤ 0.03). A report
# copied from the previous year with new numbers and a rewritten paragraph scores ≥ 0.8 (tests).
THRESHOLD = 0.6

_SLOT_BITS = 7  # 2**7 == SLOTS
_VALUE_MASK = (1 << (64 - _SLOT_BITS)) - 1
_EMPTY = 1 << 64
_DIGITS = re.compile(r"\d")
_PACK = struct.Struct(f"<{SLOTS}Q")
_BAND = struct.Struct(f"<{ROWS}Q")


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def shingles(text: str) -> set[str]:
    text = _DIGITS.sub("0", text)
    if len(text) <= SHINGLE:
        return {text} if text else set()
    return {text[i:i + SHINGLE] for i in range(len(text) - SHINGLE + 1)}


def signature(text: str) -> tuple[int, ...] | None:
    """The MinHash signature of normalised prose, or None for text too short to compare."""
    grams = shingles(text)
    if len(grams) < SHINGLE * 4:
        return None
    slots = [_EMPTY] * SLOTS
    for gram in grams:
        h = _hash64(gram.encode("utf-8"))
        slot, value = h >> (64 - _SLOT_BITS), h & _VALUE_MASK
        if value < slots[slot]:
            slots[slot] = value
    # Rotation densification: an empty slot takes the next filled slot's value, offset by the distance so that two
    # texts agree on it only when they agree on the borrowed slot at the same distance.
    out = list(slots)
    for i in range(SLOTS):
        if slots[i] == _EMPTY:
            distance = 1
            while slots[(i + distance) % SLOTS] == _EMPTY:
                distance += 1
            # value < 2**57 and distance < 2**7: the sum stays below 2**64.
            out[i] = slots[(i + distance) % SLOTS] + distance * (_VALUE_MASK + 1)
    return tuple(out)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    return sum(x == y for x, y in zip(a, b)) / SLOTS


def pack(sig: tuple[int, ...]) -> bytes:
    return _PACK.pack(*sig)


def unpack(blob: bytes) -> tuple[int, ...]:
    return _PACK.unpack(blob)


def buckets(sig: tuple[int, ...]) -> list[int]:
    """One LSH bucket per band, the band's number hashed in; 63-bit so they fit a signed BIGINT column."""
    return [_hash64(bytes([band]) + _BAND.pack(*sig[band * ROWS:(band + 1) * ROWS])) >> 1 for band in range(BANDS)]


# Tables with fewer filled cells than this (a report with almost no activity) match by chance, not by copying.
MIN_FILLED_CELLS = 10


def same_tables(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Rule S5 for tables: two reports whose every filled cell is identical, with real activity in them."""
    ca, cb = canonical_fields(a), canonical_fields(b)
    if ca != cb or len(ca) < MIN_FILLED_CELLS:
        return False
    return any(value != "0" for value in ca.values())
