"""The store: engines, tables, SQL helpers, migrations, blobs by sha256, WARC files."""
