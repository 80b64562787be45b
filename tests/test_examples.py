"""The examples run, with small settings, so they cannot rot."""

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
FIGURES = EXAMPLES.parent / "docs" / "figures"


def run_script(path, **env):
    """Run a script with small settings; its completed process, checked for success."""
    done = subprocess.run([sys.executable, str(path)],
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("script, expect", [
    ("quickstart.py", "RowAttentionClassifier: held-out accuracy"),
    ("keras_layer.py", "predict(batch_size=  1): held-out accuracy"),
    ("default_credit.py", "RowAttentionClassifier (raw DataFrame)"),
    ("diamonds.py", "RowAttentionRegressor (raw DataFrame)"),
    ("streaming_parquet.py", "partial_fit over"),
    ("pipeline_grid_search.py", "best parameters"),
    ("outlier_downweighting.py", "IsolationForest (features only)"),
    ("reuse_sample_weights.py", "lowest dropped"),
    ("save_load.py", "pickle loaded in a fresh process: same predictions: True"),
])
def test_example_runs(script, expect):
    done = run_script(EXAMPLES / script, SKROWATTN_EXAMPLE_EPOCHS="3",
                      SKROWATTN_EXAMPLE_ROWS="600")
    assert expect in done.stdout


def test_docs_figure_script_draws_the_figure(tmp_path):
    done = run_script(FIGURES / "batch_invariance.py", SKROWATTN_EXAMPLE_EPOCHS="2",
                      SKROWATTN_FIGURE_DIR=str(tmp_path))
    assert (tmp_path / "batch_invariance.png").stat().st_size > 10_000
    running = done.stdout.split("running:")[1]
    # With running statistics the accuracy is the same whatever the batch size.
    assert len(set(running.strip().strip("[]").split(", "))) == 1


def test_docs_sample_weight_figure_script_runs(tmp_path):
    done = run_script(FIGURES / "sample_weights.py", SKROWATTN_EXAMPLE_EPOCHS="3",
                      SKROWATTN_FIGURE_SEEDS="2", SKROWATTN_FIGURE_DIR=str(tmp_path))
    assert (tmp_path / "sample_weights.png").stat().st_size > 10_000
    assert "defaults (row scores, novelty=3): AUROC of a low weight for a flipped label" in done.stdout
    assert "over 2 seeds mean" in done.stdout


def test_quickstart_prints_nothing_to_stderr():
    # A user who has not configured TensorFlow's logging: none of its C++
    # start-up lines (no GPU, cuInit, CPU features), no warnings, nothing.
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, str(EXAMPLES / "quickstart.py")],
                          env={**env, "SKROWATTN_EXAMPLE_EPOCHS": "3"},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "held-out accuracy" in done.stdout
    assert done.stderr == ""


def test_startup_filter_passes_on_what_is_not_tensorflows_noise(capfd, monkeypatch):
    from skrowattn import _startup

    capfd.readouterr()  # what importing Keras printed in this process (its logging is set)
    monkeypatch.setattr(_startup, "_USER_LOGGING", False)
    with _startup._filtered_stderr():
        os.write(2, b"I0000 00:00:1.0 1 cudart_stub.cc:31] Could not find cuda drivers on your "
                    b"machine, GPU will not be used.\nsomething that went wrong\n")
    assert capfd.readouterr().err == "something that went wrong\n"
    monkeypatch.setattr(_startup, "_USER_LOGGING", True)  # the user's setting: no filter
    with _startup._filtered_stderr():
        os.write(2, b"cudart_stub.cc:31] Could not find cuda drivers\n")
    assert "cudart_stub" in capfd.readouterr().err
