"""The export's files: CSV (plain, or for Excel), JSON Lines and typed Parquet, each with the columns its format
carries (archive.export.columns)."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from archive.export.columns import AMOUNT_SCALE, Column, Export, Kind, columns
from archive.export.csv_cells import csv_list, csv_record

CSV_COLUMNS = tuple(c.name for c in columns(Export.CSV))
JSONL_COLUMNS = tuple(c.name for c in columns(Export.JSONL))
PARQUET_COLUMNS = tuple(c.name for c in columns(Export.PARQUET))
# Excel on Chinese Windows reads a CSV without a byte-order mark as GBK, and expects CRLF line ends.
BOM = "\ufeff"
# Rows per Parquet batch and row group: a row with its prose held about 180 kB of Python objects in a synthetic
# archive, so a batch is some 180 MB at most.
PARQUET_BATCH = 1000
_QUANTUM = Decimal(1).scaleb(-AMOUNT_SCALE)


def _text(value: Any) -> Any:
    """Dates and times as ISO text (a time as "YYYY-MM-DD HH:MM:SS", UTC); other values as they are."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_csv(records: Iterable[dict[str, Any]], out: IO[str], excel: bool = False) -> int:
    """CSV, one header line; list cells joined by LIST_SEPARATOR. `excel`: a UTF-8 byte-order mark and CRLF line
    ends, as Excel expects; otherwise no mark and LF."""
    if excel:
        out.write(BOM)
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore",
                            lineterminator="\r\n" if excel else "\n")
    writer.writeheader()
    count = 0
    for record in records:
        writer.writerow(csv_record({k: csv_list(v) if isinstance(v, list) else _text(v) for k, v in record.items()}))
        count += 1
    return count


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps({k: _text(record[k]) for k in JSONL_COLUMNS}, ensure_ascii=False, allow_nan=False)
                  + "\n")
        count += 1
    return count


def _decimal(value: int | float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(value)).quantize(_QUANTUM)


def _arrow_type(column: Column):
    """The column's Arrow type; a count is spooled as a decimal (exact for integers and fractions alike) and
    written as int64 unless some report gave a fraction in it."""
    import pyarrow as pa

    decimal = pa.decimal128(18, AMOUNT_SCALE)  # up to 10⁹ (pipelines.values.LARGEST) with 6 decimals
    return {Kind.ID: pa.int64(), Kind.INTEGER: pa.int64(), Kind.COUNT: decimal, Kind.AMOUNT: decimal,
            Kind.TEXT: pa.string(), Kind.DATE: pa.date32(), Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
            Kind.LIST: pa.list_(pa.string()), Kind.ID_LIST: pa.list_(pa.int64())}[column.kind]


def _array(values: list[Any], kind):
    import pyarrow as pa

    if pa.types.is_decimal(kind):
        values = [_decimal(v) for v in values]
    elif pa.types.is_integer(kind):
        values = [None if v is None else int(v) for v in values]
    return pa.array(values, type=kind)


def _field(column: Column, kind):
    import pyarrow as pa

    meta = {"description": column.en, "description_zh": column.zh, "forms": column.forms}
    if column.key:
        meta["schema_key"] = column.key
    return pa.field(column.name, kind, nullable=True, metadata=meta)


def _pandas_metadata(fields: list) -> bytes:
    """pandas' own metadata (its documented "Storing pandas DataFrame objects in Apache Parquet format"), naming
    the integer columns' dtype Int64: `pandas.read_parquet` then reads a count with blanks as integers with <NA>,
    not as floats."""
    import pyarrow as pa

    ints = [{"name": f.name, "field_name": f.name, "pandas_type": "int64", "numpy_type": "Int64", "metadata": None}
            for f in fields if pa.types.is_int64(f.type)]
    return json.dumps({"index_columns": [], "column_indexes": [], "columns": ints}).encode()


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(records: Iterable[dict[str, Any]], path: Path, batch: int = PARQUET_BATCH) -> int:
    """Typed Parquet: ids and counts int64, amounts decimal(18, 6), dates date32, first_seen a UTC timestamp, lists
    list<string>; every column nullable and described in its field metadata; integer columns read by pandas as
    nullable Int64.

    Rows go in batches to an Arrow spool file beside `path`, counts as decimals, then into the Parquet file with each
    count column cast to int64 unless a report gave a fraction in it: one pass over the archive, memory bounded by
    the batch (the prose makes a row kilobytes), and a column's type known before the first row is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    spooled = [(column, _arrow_type(column)) for column in columns(Export.PARQUET)]
    spool_schema = pa.schema([pa.field(column.name, kind) for column, kind in spooled])
    fractions: set[str] = set()
    spool = path.with_name(f".{path.name}.spool")
    count = 0
    try:
        with pa.OSFile(str(spool), "wb") as sink, pa.ipc.new_file(sink, spool_schema) as spooler:
            for rows in _batches(records, batch):
                arrays = []
                for column, kind in spooled:
                    values = [r[column.name] for r in rows]
                    if column.kind == Kind.COUNT and any(isinstance(v, float) and not v.is_integer() for v in values):
                        fractions.add(column.name)
                    arrays.append(_array(values, kind))
                spooler.write_batch(pa.record_batch(arrays, schema=spool_schema))
                count += len(rows)
        fields = [_field(column, pa.int64() if column.kind == Kind.COUNT and column.name not in fractions else kind)
                  for column, kind in spooled]
        schema = pa.schema(fields, metadata={b"pandas": _pandas_metadata(fields)})
        with pa.memory_map(str(spool)) as source, pq.ParquetWriter(path, schema) as out:
            spooled_file = pa.ipc.open_file(source)
            for i in range(spooled_file.num_record_batches):
                got = spooled_file.get_batch(i)
                out.write_batch(pa.record_batch([got.column(j).cast(f.type) for j, f in enumerate(fields)],
                                                schema=schema))
    finally:
        spool.unlink(missing_ok=True)
    return count


def write(fmt: Export, records: Iterator[dict[str, Any]], output: Path | None, excel: bool = False,
          stdout: IO[str] | None = None) -> int:
    """`fmt` into the file `output`, or when None into `stdout` (CSV and JSONL only)."""
    if fmt == Export.PARQUET:
        if output is None:
            raise ValueError("Parquet needs an output file")
        return write_parquet(records, output)
    if output is None:
        if stdout is None:
            raise ValueError("no output given")
        return write_csv(records, stdout, excel) if fmt == Export.CSV else write_jsonl(records, stdout)
    with open(output, "w", encoding="utf-8", newline="") as out:
        return write_csv(records, out, excel) if fmt == Export.CSV else write_jsonl(records, out)
