"""Fixtures of the end-to-end tests (real crawls of the sandbox, `nianbao crawl` and other commands in a subprocess,
the dashboard in a real browser): one Chromium for the whole session, and the sandbox crawl that the modules which
only read a crawl's result share (tests/support/shared_crawl.py)."""
from collections.abc import Iterator

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.shared_crawl import SharedCrawl, shared_crawl


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sandbox_crawl(tmp_path_factory: pytest.TempPathFactory) -> SharedCrawl:
    """Three crawls of one sandbox world, made once per test session whichever module and worker asks first, and
    read only: see tests/support/shared_crawl.py."""
    return shared_crawl(tmp_path_factory.getbasetemp())
