"""The command line as a user meets it, run as `nianbao` in a subprocess: one line and a documented exit status for
every mistake (never a traceback), read-only commands that never create an archive, a quiet stop when the reader of
the output goes away, --version, every option's help with its default, tables aligned for Chinese text."""
from __future__ import annotations

import argparse
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from wcwidth import width

from crawler import settings as defaults
from crawler.cli import build_parser, exits
from tests.support import ROOT

HEADER = "name,level,kind,division_code,parent,portal_url,column_urls,platform,enabled\n"
COUNTIES = 3000  # enough output to overflow a pipe (64 KB) several times


def nianbao(*argv: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def one_line(done: subprocess.CompletedProcess, code: int, *words: str) -> str:
    """The error of a user's mistake: the status, one line naming the problem, no traceback."""
    assert done.returncode == code, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    for word in words:
        assert word in last, last
    return last


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """An archive of agencies with Chinese names of different lengths (registered from a registry file)."""
    folder = tmp_path_factory.mktemp("cli")
    registry = folder / "registry.csv"
    rows = [f"{'甲乙丙丁'[n % 4] * (1 + n % 5)}{n}县人民政府,county,government,{110101 + n},,http://www.c{n}.gov.cn/,,,1"
            for n in range(COUNTIES)]
    registry.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    db = folder / "archive.sqlite"
    done = nianbao("registry", "import", str(registry), "--db", str(db))
    assert done.returncode == 0, done.stderr
    return db


def test_version():
    done = nianbao("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"nianbao {version('nianbao')}")


def _parsers(parser: argparse.ArgumentParser, name: str = "nianbao"):  # type: ignore[no-untyped-def]
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                yield from _parsers(child, f"{name} {sub}")


def test_every_option_has_help_with_its_default_and_years_default_alike():
    years = []
    for name, parser in _parsers(build_parser()):
        text = parser.format_help()
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)) or not parser.add_help:
                continue
            assert action.help, f"{name} {action.option_strings or action.dest}: no help"
            if action.option_strings and action.default not in (None, False, argparse.SUPPRESS):
                assert "default" in parser._get_formatter()._expand_help(action), (name, action.option_strings)
            if "--years" in action.option_strings:
                years.append((name, action.default))
        assert "%(default)" not in text
    assert {d for _, d in years} == {defaults.NIANBAO_YEARS} == {"2019-"}, years
    assert {n for n, _ in years} >= {"nianbao crawl", "nianbao seed", "nianbao schedule", "nianbao demo"}
    assert "(default: 2019-)" in nianbao("crawl", "--help").stdout.replace("\n", " ").replace("  ", " ")


@pytest.mark.parametrize(("command", "argv"), [
    ("coverage", ("--year", "2024")), ("export", ("--format", "csv")), ("health", ()), ("registry show", ()),
    ("registry diff", ()), ("registry accept", ()), ("db", ("current",)), ("reparse", ()), ("search-index", ()),
    ("serve", ())])
def test_commands_that_need_an_archive_never_create_one(tmp_path, command, argv):
    db = tmp_path / "mistyped.sqlite"
    last = one_line(nianbao(*command.split(), *argv, "--db", str(db)), exits.USAGE, f"no archive at {db}")
    assert last.startswith(f"nianbao {command}: ")
    assert list(tmp_path.iterdir()) == []
    # The default archive (./data/archive.sqlite) is not made either.
    one_line(nianbao(*command.split(), *argv, cwd=tmp_path), exits.USAGE, "no archive at")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("argv", "words"), [
    (("crawl", "--years", "2019-20x5"), ("--years", "2019-20x5")),
    (("crawl", "--years", "1899"), ("--years",)),
    (("crawl", "--registry", "nowhere.csv"), ("--registry", "no such file: nowhere.csv")),
    (("crawl", "-s", "LOG_LEVEL"), ("NAME=VALUE",)),
    (("registry", "check", "nowhere.csv"), ("no such file: nowhere.csv",)),
    (("coverage", "--year", "24"), ("--year", "'24'")),
    (("coverage", "--year", "2024", "--as-of", "2024-02-30"), ("--as-of", "YYYY-MM-DD")),
    (("export", "--format", "xml"), ("--format",)),
    (("health", "--records", "nowhere"), ("no folder nowhere",)),
    (("import",), ("PATH",)),
    (("import", "nowhere.pdf"), ("no such file or folder: nowhere.pdf",)),
    (("registry", "discover", "--province", "火星省"), ("no province '火星省'",)),
    (("demo", "--discover", "--province", "火星省"), ("no province named '火星省'",)),
])
def test_mistakes_are_one_line_and_exit_2(tmp_path, argv, words):
    one_line(nianbao(*argv, cwd=tmp_path), exits.USAGE, *words)
    assert list(tmp_path.iterdir()) == []


def test_argument_combinations_and_filters_that_match_nothing(archive, tmp_path):
    one_line(nianbao("export", "--format", "parquet", "--db", str(archive)), exits.USAGE, "--output FILE")
    one_line(nianbao("coverage", "--year", "2024", "--by", "province", "--region", "11", "--db", str(archive)),
             exits.USAGE, "--by", "--region")
    one_line(nianbao("coverage", "--year", "2024", "--region", "不存在县", "--db", str(archive)), exits.USAGE,
             "no agency matches --region 不存在县")
    one_line(nianbao("coverage", "--year", "2024", "--level", "province", "--db", str(archive)), exits.USAGE,
             "no agency matches --level province")
    # A year with no report says so, and still lists who had to publish.
    done = nianbao("coverage", "--year", "2024", "--region", "110101", "--db", str(archive))
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert "the archive holds no report of 2024 (it holds none yet)" in done.stderr
    assert len(done.stdout.splitlines()) == 2
    # An export of a year with no report writes no (empty) file and says which years there are.
    out = tmp_path / "none.csv"
    one_line(nianbao("export", "--format", "csv", "--year", "2024", "--output", str(out), "--db", str(archive)),
             exits.USAGE, "the archive holds no report of 2024")
    assert not out.exists()


def test_output_into_a_closed_pipe_stops_quietly(archive):
    """`nianbao coverage … | head -1`: the reader goes after one line, and nianbao stops as a Unix tool does."""
    argv = [sys.executable, "-m", "crawler.cli", "coverage", "--year", "2024", "--db", str(archive)]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith("agency")
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == exits.BROKEN_PIPE
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err, err


def test_tables_are_aligned_for_chinese_text(archive):
    done = nianbao("coverage", "--year", "2024", "--db", str(archive))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == COUNTIES + 1
    # The second column ("level") starts at the same terminal column on every line, whatever the name's length.
    starts = {width(line[:line.index(word)]) for line, word in zip(lines, ["level"] + ["county"] * COUNTIES)}
    assert len(starts) == 1, starts
    assert len({len(line[:line.index("county")]) for line in lines[1:]}) > 1  # which len() would have got wrong


def test_import_names_each_file_and_its_outcome(tmp_path, seed_paths):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    done = nianbao("import", str(seed_paths[0]), str(broken), "--db", str(tmp_path / "a.sqlite"), timeout=300)
    assert done.returncode == exits.FAILURES and "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert f"[1/2] {seed_paths[0]}: inserted" in lines
    assert any(line.startswith(f"[2/2] {broken}: failed: ") for line in lines), lines
    assert lines[-1] == "1 files failed (named above)"
