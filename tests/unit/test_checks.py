from pipelines import schema
from pipelines.checks import run_checks


def consistent_2021() -> dict:
    fields = dict.fromkeys(schema.field_keys("2021"), 0)
    for col, n in (("natural_person", 10), ("commercial", 2)):
        fields[f"applications.new_received.{col}"] = n
        fields[f"applications.granted.{col}"] = n - 1
        fields[f"applications.carried_forward.{col}"] = 1
        fields[f"applications.total_processed.{col}"] = n - 1
    for row in schema.APPLICATION_ROWS["2021"]:
        fields[f"applications.{row}.total"] = sum(
            fields[f"applications.{row}.{c}"] for c in schema.APPLICANT_SUBCOLUMNS)
    fields["review.upheld"], fields["review.total"] = 2, 2
    fields["active.fees.amount_10k_yuan"] = 24457.4
    return fields


def failed(checks):
    return [(c.rule, c.where) for c in checks if not c.ok]


def test_consistent_report_passes_every_rule():
    checks = run_checks(consistent_2021(), "2021", "本年度共收到政府信息公开申请12件。")
    assert failed(checks) == []
    assert {c.rule for c in checks} == {"R1", "R2", "R3", "R4", "R5", "S3"}


def test_broken_r1_and_r3_are_reported_with_detail():
    fields = consistent_2021()
    fields["applications.new_received.natural_person"] = 11  # breaks R1 in that column and R3 in that row
    checks = run_checks(fields, "2021", "")
    assert ("R1", "applications.*.natural_person") in failed(checks)
    assert ("R3", "applications.new_received.total") in failed(checks)
    detail = next(c.detail for c in checks if c.rule == "R1" and not c.ok)
    assert detail == "11 + 0 != 9 + 1"


def test_r4_r5_and_s3():
    fields = consistent_2021()
    fields["review.total"] = 3
    fields["active.licensing.decisions"] = -4
    checks = run_checks(fields, "2021", "我局共收到政府信息公开申请15件")
    assert ("R4", "review.total") in failed(checks)
    assert ("R5", "*") in failed(checks)
    assert ("S3", "applications.new_received.total") in failed(checks)


def test_blanks_are_not_zeros():
    fields = dict.fromkeys(schema.field_keys("2021"))
    fields["applications.granted.total"] = 4
    fields["applications.total_processed.total"] = 4
    checks = run_checks(fields, "2021", "")
    # R2 on the total column holds with the blank leaves skipped; nothing is evaluated where nothing is stated.
    assert [(c.rule, c.ok) for c in checks if c.rule == "R2"] == [("R2", True)]
    assert not [c for c in checks if c.rule == "R1"]


def test_2019_signed_change_may_be_negative():
    fields = dict.fromkeys(schema.field_keys("2019"), 0)
    fields["active.licensing.change"] = -3
    assert failed(run_checks(fields, "2019", "")) == []
