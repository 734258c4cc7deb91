"""The ``cases`` commands: Dutch summaries, exit codes, no tracebacks."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from bot.cases import cli
from bot.cases.db import DATABASE_URL_ENV

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str) -> int:
    return cli.main(list(argv))


def test_demo_import_export_cycle(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("demo", "--database-url", db_url) == 0
    out = capsys.readouterr().out
    assert "8 nieuw" in out and "fictieve demozaken" in out

    target = tmp_path / "export.json"
    assert _run("export", "--output", str(target), "--database-url", db_url) == 0
    assert "8 zaken geschreven" in capsys.readouterr().out
    payload = json.loads(target.read_text(encoding="utf-8"))
    assert len(payload["cases"]) == 8

    assert _run("import", str(target), "--database-url", db_url) == 0
    assert "8 ongewijzigd" in capsys.readouterr().out


def test_export_to_stdout_is_pure_json(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    _run("demo", "--database-url", sqlite_url)
    capsys.readouterr()
    assert _run("export", "--database-url", sqlite_url) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)["cases"]) == 8
    assert "Export gelukt" in captured.err


def test_bad_file_exits_1_with_the_problems(
    sqlite_url: str, demo: dict[str, Any], write_json: Callable[[Any], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    demo["cases"][1]["law"] = "WMO"
    demo["cases"][5]["events"][2].pop("outcome")
    assert _run("import", str(write_json(demo)), "--database-url", sqlite_url) == 1
    err = capsys.readouterr().err
    assert "Niets geïmporteerd: het bestand heeft 2 problemen." in err
    assert "- Zaak 2 (DEMO-1002), veld 'law': 'WMO' is geen bekende wet." in err
    assert "- Zaak 6 (DEMO-1006), gebeurtenis 3, veld 'outcome': ontbreekt" in err


def test_environment_variable_names_the_database(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, sqlite_url)
    assert _run("demo") == 0
    assert _run("demo") == 0
    assert "8 ongewijzigd" in capsys.readouterr().out


def test_unreachable_database_is_a_dutch_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+psycopg2://nobody@127.0.0.1:1/none"
    assert _run("demo", "--database-url", url) == 1
    err = capsys.readouterr().err
    assert "De database is niet bereikbaar; er is niets opgeslagen." in err


def test_register_adds_cases_to_a_root_parser(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="wegwijzer")
    subparsers = parser.add_subparsers(dest="command")
    cli.register(subparsers)
    args = parser.parse_args(["cases", "demo", "--database-url", sqlite_url])
    assert args.func(args) == 0
    bare = parser.parse_args(["cases"])
    with pytest.raises(SystemExit) as usage:
        bare.func(bare)
    assert usage.value.code == 2


def test_wegwijzer_cases_import_exits_1_on_a_bad_file(
    tmp_path: Path, write_json: Callable[[Any], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the registered command, even when the caller ignores the return value."""
    parser = argparse.ArgumentParser(prog="wegwijzer")
    cli.register(parser.add_subparsers(dest="command"))
    bad = write_json({"cases": [{"case_number": "x"}]})
    args = parser.parse_args(["cases", "import", str(bad), "--database-url", f"sqlite:///{tmp_path / 'c.db'}"])
    with pytest.raises(SystemExit) as exit_info:
        args.func(args)
    assert exit_info.value.code == 1
    assert "Zaak 1, veld 'case_number'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "bestaat niet"), ('{"cases": [}', "geen geldige JSON: fout op regel 1, kolom 12")],
    ids=["missing-file", "invalid-json"],
)
def test_no_traceback_for_unreadable_files(tmp_path: Path, content: str | None, expected: str) -> None:
    path = tmp_path / "zaken.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), DATABASE_URL_ENV: f"sqlite:///{tmp_path / 'c.db'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cases", "import", str(path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
