"""`wegwijzer evaluate nlu`: a stock measurement is reused only on exactly the same data."""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from bot.evaluation import data_fingerprint, load_stock_from_report, render_markdown, score

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def data_copy(tmp_path):
    train, test = tmp_path / "train", tmp_path / "test"
    shutil.copytree(ROOT / "data" / "nlu", train)
    shutil.copytree(ROOT / "tests" / "nlu", test)
    return train, test


def _stock():
    gold = ["info_pgb", "info_pgb", "greet", "info_bezwaar"]
    predicted = ["info_pgb", "nlu_fallback", "greet", "info_pgb"]
    return score("stock", "stock.yml", 3506.0, gold, predicted, [0.02] * 4, ["a", "b", "c", "d"])


def test_fingerprint_changes_when_one_training_example_changes(data_copy):
    train, test = data_copy
    before = data_fingerprint(str(train), str(test))
    assert data_fingerprint(str(train), str(test)) == before
    path = train / "knowledge_support.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("examples: |\n", "examples: |\n    - wat kost een pgb eigenlijk per maand\n", 1),
                    encoding="utf-8")
    assert data_fingerprint(str(train), str(test)) != before


def test_stock_from_report_is_refused_for_other_data(tmp_path):
    report = tmp_path / "nlu.json"
    report.write_text(json.dumps({"data_fingerprint": "abc", "stock": asdict(_stock())}))
    with pytest.raises(SystemExit, match="niet gemeten op dezelfde"):
        load_stock_from_report(str(report), "def")


def test_stock_from_report_on_same_data_is_shown_as_reused(tmp_path):
    stock = _stock()
    report = tmp_path / "nlu.json"
    report.write_text(json.dumps({"data_fingerprint": "f" * 64, "stock": asdict(stock)}))
    reused = load_stock_from_report(str(report), "f" * 64)
    assert reused.macro_f1 == stock.macro_f1
    assert reused.confusions == stock.confusions
    markdown = render_markdown(_stock(), reused, 2708, stock_reused=True, fingerprint="f" * 64)
    assert "earlier run on exactly the same" in markdown
    assert "3506 s" in markdown
