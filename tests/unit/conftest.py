"""The unit tests: pure functions on inputs built in memory or read from tests/fixtures — no subprocess, no server,
no database, no LibreOffice or OCR. They need no fixtures beyond tests/conftest.py's; keep it that way (a test that
needs more belongs in tests/integration)."""
