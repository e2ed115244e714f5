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

from archive.csv_cells import csv_list, csv_record
from archive.export.columns import AMOUNT_SCALE, Column, Export, Kind, columns

CSV_COLUMNS = tuple(c.name for c in columns(Export.CSV))
JSONL_COLUMNS = tuple(c.name for c in columns(Export.JSONL))
PARQUET_COLUMNS = tuple(c.name for c in columns(Export.PARQUET))
# Excel on Chinese Windows reads a CSV without a byte-order mark as GBK, and expects CRLF line ends.
BOM = "\ufeff"
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


def _arrow_type(column: Column, values: list[Any]):
    import pyarrow as pa

    amount = pa.decimal128(18, AMOUNT_SCALE)  # up to 10⁹ (pipelines.values.LARGEST) with 6 decimals
    if column.kind == Kind.COUNT:
        # A count is an integer; a column where some report gave a fraction keeps it, exactly, as a decimal.
        fraction = any(isinstance(v, float) and not v.is_integer() for v in values)
        return amount if fraction else pa.int64()
    return {Kind.ID: pa.int64(), Kind.INTEGER: pa.int64(), Kind.AMOUNT: amount, Kind.TEXT: pa.string(),
            Kind.DATE: pa.date32(), Kind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
            Kind.LIST: pa.list_(pa.string()), Kind.ID_LIST: pa.list_(pa.int64())}[column.kind]


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


def write_parquet(records: Iterator[dict[str, Any]], path: Path) -> int:
    """Typed Parquet: ids and counts int64, amounts decimal(18, 6), dates date32, first_seen a UTC timestamp, lists
    list<string>; every column nullable and described in its field metadata; integer columns read by pandas as
    nullable Int64."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = list(records)
    fields, arrays = [], []
    for column in columns(Export.PARQUET):
        values = [r[column.name] for r in data]
        kind = _arrow_type(column, values)
        if pa.types.is_decimal(kind):
            values = [_decimal(v) for v in values]
        elif pa.types.is_integer(kind):
            values = [None if v is None else int(v) for v in values]
        fields.append(_field(column, kind))
        arrays.append(pa.array(values, type=kind))
    schema = pa.schema(fields, metadata={b"pandas": _pandas_metadata(fields)})
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)
    return len(data)


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
