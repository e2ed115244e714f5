"""Hypothesis: the final archive does not depend on ingest order, and ingesting again is a no-op."""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from archive.store.db import open_archive
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor
from tests.support.archive import snapshot

AGENCIES = ("甲县", "甲县财政局", "乙镇")


def _variant(agency: str, year: int, revision: int, sheet: bool):
    r = synthetic.report(agency, year)
    if revision in (1, 2):  # new numbers
        r = copy.deepcopy(r)
        r.fields["applications.new_received.total"] = 1000 + revision
    elif revision == 3:  # new wording, the same tables: a spreadsheet of them has two full versions to join
        r = copy.deepcopy(r)
        r.sections["problems"] += "\n另有一处修订。"
    return synthetic.spreadsheet(r) if sheet else r


item = st.tuples(
    st.sampled_from(AGENCIES), st.sampled_from((2021, 2022)), st.integers(0, 3),  # which content
    st.sampled_from(("https://a.gov.cn/1", "https://b.gov.cn/2")), st.integers(0, 5),  # where and when
    st.booleans(),  # re-stamped bytes
    st.booleans(),  # the tables alone (a spreadsheet)
)


def _build(items, root: Path):
    arc = open_archive(str(root / "a.sqlite"), root / "data")
    ing = ingestor(arc)
    outcomes = []
    for agency, year, revision, url, minute, restamp, sheet in items:
        r = _variant(agency, year, revision, sheet)
        outcomes.append(ing.ingest(capture(url, minute), synthetic.body(r, stamp=str(restamp)), r))
    return arc, ing, outcomes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(item, min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_ingest_order_does_not_change_the_archive_and_reingest_is_a_noop(items, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
        first, ing, _ = _build(items, Path(one))
        second, _, _ = _build(shuffled, Path(two))
        assert snapshot(first) == snapshot(second)
        before = snapshot(first)
        again = [ing.ingest(capture(url, minute), synthetic.body(_variant(a, y, rev, sh), stamp=str(rs)),
                            _variant(a, y, rev, sh)) for a, y, rev, url, minute, rs, sh in items]
        assert set(again) == {"noop"}
        assert snapshot(first) == before
        first.engine.dispose()
        second.engine.dispose()
