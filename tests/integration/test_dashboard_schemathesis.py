"""The JSON API against its own OpenAPI description (schemathesis): no server error for any input it generates, and
every response conforms to the description (status codes, content types, headers, bodies), for valid inputs and
invalid ones alike.

Each operation's cases are drawn by Hypothesis from schemathesis's strategy and checked with its default checks.
(schemathesis's pytest plugin is not used: its lazy fixture loading reads a pytest-internal attribute that pytest 9
no longer has.)
"""
from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from archive.store.db import open_archive
from archive.web.app import LOOPBACK_HOSTS, create_app
from archive.web.db import open_read_only
from archive.web.service import Dashboard
from tests.support.dashboard import build_registry_archive, index

EXAMPLES = 30


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    root = tmp_path_factory.mktemp("schemathesis")
    db = str(root / "archive.sqlite")
    arc = open_archive(db, root)
    build_registry_archive(arc)
    arc.engine.dispose()
    index(db)
    # Schemathesis's ASGI client names the host "testserver".
    app = create_app(Dashboard(open_read_only(db, root)), allowed_hosts=[*LOOPBACK_HOSTS, "testserver"])
    return schemathesis.openapi.from_asgi("/api/openapi.json", app)


def exercise(operation, mode: schemathesis.GenerationMode, calls: Counter) -> None:
    @given(case=operation.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        calls[operation.path] += 1
        case.call_and_validate()

    check()


def test_api_conforms_to_its_description(api_schema):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/overview", "/api/coverage", "/api/coverage.csv",
                                              "/api/reports/{report_id}", "/api/search", "/raw/{sha256}"}
    calls: Counter = Counter()
    for operation in operations:
        exercise(operation, schemathesis.GenerationMode.POSITIVE, calls)
        if operation.query or operation.path_parameters:  # invalid inputs, where there is something to get wrong
            exercise(operation, schemathesis.GenerationMode.NEGATIVE, calls)
    # /api/years has no parameter: one case is all there is.
    assert len(calls) == len(operations) and sorted(calls.values())[1] >= EXAMPLES
