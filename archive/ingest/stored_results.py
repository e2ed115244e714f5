"""Extraction results stored compactly: the readable metadata as JSON, the bulk as compressed JSON.

A `nianbao extract` result is about 26 KB of JSON, most of it bulk nobody reads in sqlite3 or Datasette: 200 fields
whose long keys repeat in every result, their raw cell texts, the sections and the checks. The metadata people do
look at (title, dates, format, reason, warnings) stays a readable JSON column (`meta`); the bulk is compressed JSON
(`body`, 2–4 KB). A raw cell is kept only where its text is not simply its value's plain rendering ("0" for 0), since
otherwise it repeats the field; `unpack` restores the rest, so the round trip is exact (checked at `pack` time,
falling back to storing every raw cell).

A body is a format byte, then zlib data. Format 1 compresses with a preset dictionary
(archive.ingest.compression_dictionary) holding the keys every result repeats, which takes a quarter to a third off a
real report's body.
"""
from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

from archive.ingest import compression_dictionary
from archive.store.db import dumps

# A table picture's grids (archive.ingest.pictures reads them back) are kilobytes of JSON: compressed too.
BULK = ("sections", "fields", "raw", "placement", "checks", "grids")
# Level 6 (zlib's default) costs about 0.2 ms a result and is within 5% of level 9's size.
LEVEL = 6
FORMAT = 1
_PRESETS = {1: compression_dictionary.dictionary()}


def _plain(value: Any) -> str | None:
    return None if value is None else str(value)


def _implied_raw(fields: Mapping[str, Any]) -> dict[str, str | None]:
    return {key: _plain(value) for key, value in fields.items()}


def pack(result: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """(meta, body) for the `extractions` row of `result`, a `Report.as_dict()` or `Failure.as_dict()`."""
    meta = {k: v for k, v in result.items() if k not in BULK}
    bulk = {k: result[k] for k in BULK if k in result}
    if bulk.get("raw"):
        implied = _implied_raw(bulk.get("fields") or {})
        own = {k: v for k, v in bulk["raw"].items() if k not in implied or implied[k] != v}
        if {**implied, **own} == bulk["raw"]:  # not when a field has no raw cell at all
            bulk["raw"] = own
            bulk["raw_implied"] = True
    packer = zlib.compressobj(LEVEL, zdict=_PRESETS[FORMAT])
    return meta, bytes([FORMAT]) + packer.compress(dumps(bulk).encode("utf-8")) + packer.flush()


def _inflate(body: bytes) -> bytes:
    unpacker = zlib.decompressobj(zdict=_PRESETS[body[0]])
    return unpacker.decompress(body[1:]) + unpacker.flush()


def unpack_body(body: bytes) -> dict[str, Any]:
    bulk = json.loads(_inflate(body))
    if bulk.pop("raw_implied", False):
        bulk["raw"] = {**_implied_raw(bulk.get("fields") or {}), **bulk["raw"]}
    return bulk


def unpack(meta: Mapping[str, Any], body: bytes) -> dict[str, Any]:
    """The result `pack` was given."""
    return {**meta, **unpack_body(body)}


def fields(body: bytes) -> dict[str, Any]:
    return json.loads(_inflate(body)).get("fields") or {}


def sections_and_fields(body: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    bulk = json.loads(_inflate(body))
    return bulk.get("sections") or {}, bulk.get("fields") or {}
