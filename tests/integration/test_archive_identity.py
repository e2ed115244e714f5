"""Version identity and near-duplicate fingerprints: pure functions, with hypothesis properties."""
from __future__ import annotations

import itertools
import unicodedata

from hypothesis import given, settings, strategies as st

from archive.ingest import neardup
from archive.ingest.extracted import Extracted
from archive.ingest.identity import (
    canonical_fields,
    fingerprint,
    identify,
    nfkc,
    normalise_text,
    prose,
    tables_digest,
    telling_tables,
)
from archive.ingest.versions import diff
from pipelines.extract import extract
from sandbox import synthetic
from tests.support import SEED_REPORTS

SEEDS = sorted(SEED_REPORTS.glob("*.txt"))
BASE = synthetic.report("岚皋县行政审批服务局", 2023)

chrome_lines = st.sampled_from(["发布时间：2024-01-29 09:30", "浏览次数：128", "【打印本页】", "第 2 页 共 5 页",
                                "- 3 -", "来源：县政府办", "2024年1月29日"])


def test_chrome_dates_and_rendering_do_not_count():
    assert normalise_text("一、总体情况\n发布时间：2024-01-29\n本机关（局）共收到申请 12 件。\n第 1 页 共 3 页") == \
        normalise_text("一、总体情况\r\n本机关(局)共收到申请12件.\n- 1 -")


def test_numbers_and_blanks_are_content():
    assert canonical_fields({"a": 5, "b": 5.0, "c": None, "d": 0}) == {"a": "5", "b": "5", "d": "0"}
    assert fingerprint({"k": 0}, {}) != fingerprint({"k": None}, {})


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fingerprint_survives_re_rendering(data):
    """Inserting chrome lines, whitespace and width changes anywhere never changes the fingerprint."""
    sections = {}
    for key, text in BASE.sections.items():
        lines = text.split("\n")
        for _ in range(data.draw(st.integers(0, 3))):
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(chrome_lines))
        spacer = data.draw(st.sampled_from(["", " ", "\u3000", "\t"]))
        sections[key] = "\n".join(spacer + line.replace("，", data.draw(st.sampled_from(["，", ",", ", "])))
                                  for line in lines)
    fields = {k: (float(v) if isinstance(v, int) and data.draw(st.booleans()) else v) for k, v in BASE.fields.items()}
    assert fingerprint(fields, sections) == fingerprint(BASE.fields, BASE.sections)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BASE.fields)), st.one_of(st.none(), st.integers(0, 10_000)))
def test_any_changed_cell_is_a_new_identity_with_that_key_in_the_diff(key, value):
    if canonical_fields({key: value}) == canonical_fields({key: BASE.fields[key]}):
        return
    changed = dict(BASE.fields, **{key: value})
    assert fingerprint(changed, BASE.sections) != fingerprint(BASE.fields, BASE.sections)
    delta = diff(Extracted.stored({"fields": BASE.fields, "sections": BASE.sections}),
                 Extracted.stored({"fields": changed, "sections": BASE.sections}))
    assert delta["fields"] == [{"key": key, "old": BASE.fields[key], "new": value}] and delta["sections"] == []


def test_seed_reports_are_not_near_duplicates_of_each_other():
    signatures = {}
    for path in SEEDS:
        report = extract(path.read_bytes(), str(path))
        signatures[path.name] = neardup.signature(prose(report.sections))
    assert len(signatures) == 5
    for a, b in itertools.combinations(signatures.values(), 2):
        assert neardup.similarity(a, b) < 0.1


def test_a_seed_copied_with_new_numbers_and_a_new_paragraph_is_a_near_duplicate():
    report = extract(SEEDS[0].read_bytes(), str(SEEDS[0]))
    text = prose(report.sections)
    copied = text.replace("2023", "2024").replace("1",
                          "7") + normalise_text("今年新增了政务公开专区，完善了依申请公开流程。")
    assert neardup.similarity(neardup.signature(text), neardup.signature(copied)) >= 0.8


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.floats(0.0, 1.0))
def test_minhash_estimates_jaccard(seed, share):
    """One-permutation MinHash tracks the exact Jaccard similarity of the shingle sets (±0.15 at 128 slots)."""
    a = "".join(synthetic.prose(str(seed)).values())
    b_source = "".join(synthetic.prose(str(seed + 1)).values())
    cut = int(len(a) * share)
    b = a[:cut] + b_source[cut:]
    ga, gb = neardup.shingles(a), neardup.shingles(b)
    exact = len(ga & gb) / len(ga | gb)
    assert abs(neardup.similarity(neardup.signature(a), neardup.signature(b)) - exact) < 0.15


def test_identical_tables_mean_copying_only_with_real_activity():
    """S5 on tables compares the digests of the canonical fields; all-zero or near-empty tables match by chance."""
    full = synthetic.fields("x")
    as_floats = {k: float(v) if isinstance(v, int) else v for k, v in full.items()}
    assert tables_digest(canonical_fields(full)) == tables_digest(canonical_fields(as_floats))
    assert tables_digest(canonical_fields(full)) != tables_digest(canonical_fields(dict(full, **{"review.total": 1})))
    assert telling_tables(canonical_fields(full))
    assert not telling_tables(canonical_fields(dict.fromkeys(full, 0)))
    assert not telling_tables(canonical_fields(dict.fromkeys(list(full)[:9], 7)))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    [*"报告年度，。：；（）！？０１２３ＡＢｃ　 \t\nabc123", "\u0301", "\u00e9", "\u1100", "\u1161", "\uac00", "\uf900",
     "\u2460", "\u00bd", "\u2f00", "\u301c", "\ufb01"])))
def test_nfkc_shortcut_is_unicode_nfkc(text):
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_a_table_only_rendering_is_fingerprinted_by_its_tables():
    full = synthetic.report("岚皋县行政审批服务局", 2023).as_dict()
    spreadsheet = dict(full, format="xlsx", sections={"active": "第二十条第（一）项"})  # header cells read as prose
    bare_page = dict(full, format="html", sections={"overview": "附件：年度报告表格"})
    whole, sheet, page = (identify(Extracted.stored(r)) for r in (full, spreadsheet, bare_page))
    assert not whole.table_only and sheet.table_only and page.table_only
    assert sheet.fingerprint == page.fingerprint != whole.fingerprint
    assert sheet.tables == page.tables == whole.tables and sheet.prose == ""
