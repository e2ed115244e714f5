"""Fixtures of the end-to-end tests (real crawls of the sandbox, `nianbao crawl` and other commands in a subprocess,
the dashboard in a real browser): one Chromium for the whole session."""
from collections.abc import Iterator

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
