"""Hypothesis: the final archive does not depend on ingest order, and ingesting again is a no-op."""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from archive.db import open_archive
from tests.archive import synthetic
from tests.conftest_archive import capture, ingestor, snapshot

AGENCIES = ("甲县", "甲县财政局", "乙镇")


def _variant(agency: str, year: int, revision: int):
    r = synthetic.report(agency, year)
    if revision:
        r = copy.deepcopy(r)
        r.fields["applications.new_received.total"] = 1000 + revision
    return r


item = st.tuples(
    st.sampled_from(AGENCIES), st.sampled_from((2021, 2022)), st.integers(0, 2),  # which content
    st.sampled_from(("https://a.gov.cn/1", "https://b.gov.cn/2")), st.integers(0, 5),  # where and when
    st.booleans(),  # re-stamped bytes
)


def _build(items, root: Path):
    arc = open_archive(str(root / "a.sqlite"), root / "data")
    ing = ingestor(arc)
    outcomes = []
    for agency, year, revision, url, minute, restamp in items:
        r = _variant(agency, year, revision)
        outcomes.append(ing.ingest(capture(url, minute), synthetic.body(r, stamp=str(restamp)), r))
    return arc, ing, outcomes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(item, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_ingest_order_does_not_change_the_archive_and_reingest_is_a_noop(items, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        first, ing, _ = _build(items, Path(one))
        second, _, _ = _build(shuffled, Path(two))
        assert snapshot(first) == snapshot(second)
        before = snapshot(first)
        again = [ing.ingest(capture(url, minute), synthetic.body(_variant(a, y, rev), stamp=str(rs)),
                            _variant(a, y, rev)) for a, y, rev, url, minute, rs in items]
        assert set(again) == {"noop"}
        assert snapshot(first) == before
        first.engine.dispose()
        second.engine.dispose()
