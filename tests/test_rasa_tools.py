"""The standard Rasa tools work from the repository root: data validation and test stories."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RASA = str(Path(sys.executable).with_name("rasa"))
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([RASA, *args], cwd=ROOT, env=ENV, capture_output=True, text=True,
                          timeout=timeout)


def test_data_validates_without_warnings():
    result = run_rasa("data", "validate", "--fail-on-warnings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "UserWarning" not in output, output[-5000:]


def test_test_stories_pass_without_prediction_errors(trained_model, tmp_path):
    result = run_rasa("test", "core", "--model", trained_model, "--stories", "tests/stories",
                      "--fail-on-prediction-errors", "--out", str(tmp_path / "results"))
    output = result.stdout + result.stderr
    failed = tmp_path / "results" / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, output[-3000:] + details[-4000:]
