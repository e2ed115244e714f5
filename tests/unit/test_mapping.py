"""Grids → schema keys, on the seed renderings and on HTML tables with merged cells."""
import lxml.html

from pipelines import schema
from pipelines.formats.html import table_grid
from pipelines.formats.text import read
from pipelines.mapping import map_grids, normalise


def grids_of(html: str):
    tree = lxml.html.fromstring(html)
    return [table_grid(t, "test") for t in tree.iter("table")]


def test_normalise_label_variants():
    assert normalise("（三）不 予 公 开") == normalise("(3)不予公开") == "不予公开"
    assert normalise("商业\n企业") == "商业企业"
    assert normalise("1．属于国家秘密") == normalise("1. 属于国家秘密") == "属于国家秘密"


def test_seed_002_is_2019_with_signed_changes_and_procurement(seed_paths):
    mapped = map_grids(read(seed_paths[2].read_bytes()).grids)
    assert mapped.template_votes.most_common(1)[0][0] == "2019"
    assert mapped.raw["active.licensing.change"] == "+57"
    assert mapped.raw["active.other_services.decisions"] == "1375"
    assert mapped.raw["active.procurement.amount_10k_yuan"] == "40.35万元"
    assert mapped.raw["applications.other.total"] == "0"
    # The seed really lacks the 结转下年度 row: absent, not invented.
    assert "applications.carried_forward.total" not in mapped.raw


def test_seed_001_shifted_tab_rendering(seed_paths):
    mapped = map_grids(read(seed_paths[1].read_bytes()).grids)
    assert mapped.raw["active.licensing.decisions"] == "10727"
    assert mapped.raw["active.fees.amount_10k_yuan"] == "24457.4"
    assert set(schema.application_keys("2021")) <= set(mapped.raw)
    # Its section 四 rendering leaves the five 行政复议 cells blank and the litigation ones filled.
    assert [mapped.raw[f"review.{c}"] for c in schema.REVIEW_COLUMNS] == [""] * 5
    assert mapped.raw["litigation_after_review.total"] == "0"


def test_every_seed_maps_every_cell_but_the_missing_row(seed_paths):
    for n, path in enumerate(seed_paths):
        mapped = map_grids(read(path.read_bytes()).grids)
        template = "2019" if n == 2 else "2021"
        missing = [k for k in schema.field_keys(template) if k not in mapped.raw]
        assert missing == ([f"applications.carried_forward.{c}" for c in schema.APPLICANT_COLUMNS] if n == 2 else [])


APPLICATIONS = """
<table>
<tr><td colspan="3" rowspan="3">（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>
    <td colspan="7">申请人情况</td></tr>
<tr><td rowspan="2">自然人</td><td colspan="5">法人或其他组织</td><td rowspan="2">总计</td></tr>
<tr><td>商业<br>企业</td><td>科研机构</td><td>社会公益组织</td><td>法律服务机构</td><td>其他</td></tr>
<tr><td colspan="3">一、本年新收政府信息公开申请数量</td><td>12</td><td>3</td><td></td><td>/</td><td>—</td><td>1</td><td>16</td></tr>
<tr><td rowspan="2">三、本年度办理结果</td><td colspan="2">（一）予以公开</td><td></td><td></td><td></td><td></td><td></td><td></td><td>9</td></tr>
<tr><td rowspan="2">（三）不予公开</td><td>1.属于国家秘密</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td></tr>
<tr><td></td><td>2.其他法律行政法规禁止公开</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td></td><td>（六）其他处理</td><td>3.其他</td><td></td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>
<tr><td colspan="3">四、结转下年度继续办理</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>
</table>"""  # noqa: E501 (a table row a line, as portals write it)


def test_merged_cells_do_not_shift_values():
    raw = map_grids(grids_of(APPLICATIONS)).raw
    assert [raw[f"applications.new_received.{c}"] for c in schema.APPLICANT_COLUMNS] == [
        "12", "3", "", "/", "—", "1", "16"]
    # Only 总计 filled: the blanks stay blanks in their own columns.
    assert [raw[f"applications.granted.{c}"] for c in schema.APPLICANT_COLUMNS] == [""] * 6 + ["9"]
    assert raw["applications.denied_state_secret.natural_person"] == "1"
    assert raw["applications.denied_law_forbidden.total"] == "0"
    assert raw["applications.other_other.commercial"] == "2"
    assert raw["applications.carried_forward.total"] == "0"


ACTIVE_2021_VARIANT = """
<table>
<tr><td colspan="4">第二十条第(一)项</td></tr>
<tr><td>信息内容</td><td>本年(2023)制发件数</td><td>本年废止件数</td><td>现行有效件数（历史累计）</td></tr>
<tr><td>规章(县级无此项)</td><td>/</td><td>/</td><td>/</td></tr>
<tr><td>规范性文件</td><td>2</td><td>1</td><td>17</td></tr>
<tr><td colspan="4">第二十条第(五)项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年处理决定数量</td></tr>
<tr><td>行政许可</td><td colspan="3">4,277</td></tr>
<tr><td colspan="4">第二十条第(八)项</td></tr>
<tr><td>信息内容</td><td colspan="3">本年收费金额（单位：万元）</td></tr>
<tr><td>行政事业性收费</td><td colspan="3">24457.4</td></tr>
</table>"""


def test_active_2021_label_variants():
    mapped = map_grids(grids_of(ACTIVE_2021_VARIANT))
    assert mapped.template_votes.most_common(1)[0][0] == "2021"
    assert mapped.raw["active.regulations.issued"] == "/"
    assert mapped.raw["active.normative_docs.in_force"] == "17"
    assert mapped.raw["active.licensing.decisions"] == "4,277"
    assert mapped.raw["active.fees.amount_10k_yuan"] == "24457.4"
    assert not mapped.warnings


REVIEW = """
<table>
<tr><td colspan="5">行政复议</td><td colspan="10">行政诉讼</td></tr>
<tr><td rowspan="2">结果维持</td><td rowspan="2">结果纠正</td><td rowspan="2">其他结果</td><td rowspan="2">尚未审结</td>
    <td rowspan="2">总计</td><td colspan="5">未经复议直接起诉</td><td colspan="5">复议后起诉</td></tr>
<tr><td>结 果 维 持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td>
    <td>结果维持</td><td>结果纠正</td><td>其他结果</td><td>尚未审结</td><td>总计</td></tr>
<tr><td>1</td><td>2</td><td>0</td><td>0</td><td>3</td><td>0</td><td>0</td><td>1</td><td>0</td><td>1</td>
    <td>0</td><td>0</td><td>0</td><td>2</td><td>2</td></tr>
</table>"""


def test_review_table_by_header_positions():
    raw = map_grids(grids_of(REVIEW)).raw
    assert [raw[f"review.{c}"] for c in schema.REVIEW_COLUMNS] == ["1", "2", "0", "0", "3"]
    assert raw["litigation_direct.other_result"] == "1"
    assert raw["litigation_after_review.pending"] == "2"


# --- placement by the form's order, by near labels and by arithmetic (sandbox renderings of a busy report) ---------

def _busy_html(labels: dict[str, str]) -> tuple[bytes, dict]:
    import copy

    from sandbox.reports.html_page import render_html
    from sandbox.reports.variant_corpus import base_specs

    spec = copy.deepcopy(base_specs()[5])  # applications in every column
    spec.labels = {**spec.labels, **labels}
    return render_html(spec), spec.values


def _first_leaf(values: dict, nonzero: bool) -> str:
    return next(leaf for leaf in schema.RESULT_LEAVES["2021"] if bool(values[f"applications.{leaf}.total"]) == nonzero)


def test_near_miss_labels_are_placed_at_their_position():
    from pipelines.extract import extract

    data, values = _busy_html({"applications.row.denied_enforcement_file": "7.属于行政执法案券",  # one look-alike
                               "applications.row.unable_need_create": "2.没有信息需要另行制",  # characters dropped
                               "applications.row.carried_over": "二、上年結轉政府信息公開申請數量"})  # traditional
    report = extract(data, "near.html")
    for row in ("denied_enforcement_file", "unable_need_create"):
        for col in schema.APPLICANT_COLUMNS:
            assert report.fields[f"applications.{row}.{col}"] == values[f"applications.{row}.{col}"]
        assert report.placement[f"applications.{row}.total"] == "near_label"
    assert report.placement["applications.carried_over.total"] == "label"  # read after t2s
    assert report.placement["applications.granted.total"] == "label"
    assert report.as_dict()["placement"] == report.placement


def test_a_garbled_row_is_placed_by_arithmetic_only_when_the_rules_need_its_numbers():
    from pipelines.extract import extract

    _data, values = _busy_html({})
    leaf = _first_leaf(values, nonzero=True)
    garbled = {f"applications.row.{leaf}": "（二）■■■■"}
    report = extract(_busy_html(garbled)[0], "arith.html")
    assert report.placement[f"applications.{leaf}.total"] == "arithmetic"
    assert [report.fields[f"applications.{leaf}.{c}"] for c in schema.APPLICANT_COLUMNS] == [
        values[f"applications.{leaf}.{c}"] for c in schema.APPLICANT_COLUMNS]


def test_a_row_that_cannot_be_placed_is_null_with_a_warning_naming_its_label():
    from pipelines.extract import extract

    _data, values = _busy_html({})
    leaf = _first_leaf(values, nonzero=False)  # all zeros: the rules cannot tell where it belongs
    report = extract(_busy_html({f"applications.row.{leaf}": "1.■■■■"})[0], "lost.html")
    assert all(report.fields[f"applications.{leaf}.{c}"] is None for c in schema.APPLICANT_COLUMNS)
    assert any("■■■■" in w and "could not be placed" in w for w in report.warnings)
    # Every other row is still read, and nothing went into a wrong row.
    assert all(report.fields[k] == values[k] for k in schema.application_keys("2021") if f".{leaf}." not in k)


def test_columns_follow_their_headers_swapped_extra_or_missing():
    from pipelines.extract import extract
    from sandbox.reports.variant_corpus import CLASSES, _html, base_specs, make_variant

    for name in ("swapped_columns", "remark_column", "missing_total"):
        v = make_variant(CLASSES[name], base_specs()[6], 6)
        report = extract(_html(v, 0), f"{name}.html")
        wrong = {k: (report.fields.get(k), want) for k, want in v.expected.items() if report.fields.get(k) != want}
        assert not wrong, (name, wrong)


def test_undivided_other_of_a_2021_table_goes_to_the_2019_key():
    from pipelines.checks import run_checks
    from pipelines.extract import UNDIVIDED_OTHER, extract
    from sandbox.reports.variant_corpus import CLASSES, _html, base_specs, make_variant

    v = make_variant(CLASSES["undivided_other"], base_specs()[5], 5)
    report = extract(_html(v, 1), "undivided.html")
    assert report.template == "2021"
    assert report.fields["applications.other.total"] == v.expected["applications.other.total"]
    assert report.fields["applications.other_other.total"] is None
    assert UNDIVIDED_OTHER in report.warnings
    r2 = [c for c in run_checks(report.fields, "2021", "") if c.rule == "R2"]
    assert r2 and all(c.ok for c in r2)


def test_wrong_arithmetic_is_extracted_as_written_and_flagged():
    from pipelines.extract import extract
    from sandbox.reports.variant_corpus import CLASSES, _html, base_specs, make_variant

    v = make_variant(CLASSES["wrong_arithmetic"], base_specs()[5], 5)
    report = extract(_html(v, 0), "wrong.html")
    assert report.fields["applications.new_received.total"] == v.expected["applications.new_received.total"]
    failed = {c.rule for c in report.checks if not c.ok}
    assert {"R1", "R3", "S3"} <= failed
