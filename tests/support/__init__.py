"""Helpers the test layers share (no tests and no fixtures here: fixtures live in the conftest.py of the layer that
needs them, or in tests/conftest.py when several layers do), and the paths every layer resolves its files from."""
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
# The five real seed reports as text copied from their publishers' pages (their hand-transcribed specs are in
# fixtures/seeds): test fixtures, kept in the repository so that the suite runs from a bare clone.
SEED_REPORTS = FIXTURES / "seed_reports"
