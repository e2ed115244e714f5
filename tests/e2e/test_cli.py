import json
import subprocess
import sys

from crawler.cli import main


def test_extract_json_lines_go_on_after_bad_input_and_exit_nonzero(tmp_path, seed_paths, capsys):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")  # no xref, no pages
    status = main(["extract", "--json", str(empty), str(seed_paths[0]), str(broken)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 1
    assert [("error" in r) for r in out] == [True, False, True]
    assert out[0]["error"] == "the file is empty"
    assert out[1]["agency"] == "岚皋县行政审批服务局" and out[1]["fields"]["active.licensing.decisions"] == 4277
    assert len(out[1]["sha256"]) == 64


def test_extract_summary_and_progress(seed_paths):
    run = subprocess.run([sys.executable, "-m", "crawler.cli", "extract", str(seed_paths[2]), str(seed_paths[1])],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0
    assert "安康市行政审批服务局 2020 [text, template 2019]" in run.stdout
    assert "absent from the document: applications.carried_forward.*" in run.stdout
    assert "[2/2]" in run.stderr  # progress on stderr keeps stdout clean for --json
