"""Captures in, rows out: the ingest transaction (`ingestor`), extraction results as the archive reads them,
identity, versions and their chains, copy checks, table pictures, the importer of files."""
