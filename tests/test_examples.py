"""The examples run, with small settings, so they cannot rot."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("script, expect", [
    ("quickstart.py", "RowAttentionClassifier: held-out accuracy"),
    ("keras_layer.py", "predict(batch_size=  1): held-out accuracy"),
    ("default_credit.py", "RowAttentionClassifier (raw DataFrame)"),
    ("diamonds.py", "RowAttentionRegressor (raw DataFrame)"),
])
def test_example_runs(script, expect):
    env = {**os.environ, "SKROWATTN_EXAMPLE_EPOCHS": "3", "SKROWATTN_EXAMPLE_ROWS": "600",
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert expect in done.stdout
