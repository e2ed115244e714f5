"""Deterministic randomness: every generated value is a pure function of the seed and a path of names.

Python's `hash()` is salted per process and `random.Random(str)` hashes strings the same way, so seeds are
derived with blake2b instead; the same (seed, parts) gives the same stream in every process and on every run.
"""
from __future__ import annotations

import hashlib
import random


def digest(*parts: object) -> int:
    """A 64-bit integer fixed by `parts`."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def rng(*parts: object) -> random.Random:
    return random.Random(digest(*parts))


def chance(probability: float, *parts: object) -> bool:
    """A deterministic coin: true for about `probability` of the distinct `parts`."""
    return digest(*parts) % 1_000_000 < probability * 1_000_000
