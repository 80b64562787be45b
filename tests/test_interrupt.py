"""Interrupted work loses nothing: Ctrl-C keeps the model trained so far, a fit
that raises leaves the estimator as it was, a killed streaming run resumes."""

import json
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, NotFittedError

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

X, Y = make_classification(n_samples=300, n_features=6, random_state=0)
SMALL = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)


def fitted(**params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RowAttentionClassifier(**{**SMALL, **params}).fit(X, Y)


def run_python(code, **kwargs):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, **kwargs)


# -- Ctrl-C ----------------------------------------------------------------------

CTRL_C = """
    import json, os, signal, threading, time, warnings
    import numpy as np
    from sklearn.datasets import make_classification
    from skrowattn import RowAttentionClassifier
    from skrowattn import training
    from skrowattn.interrupt import catch_interrupt

    # SIGINT from a timer thread, armed when the third epoch starts (so that it
    # lands in training, after the compilation).
    run_epochs = training.Trainer.run_epochs
    def arm_timer(self, *args, **kwargs):
        global epochs
        epochs += 1
        if epochs == 3:
            threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
        return run_epochs(self, *args, **kwargs)
    training.Trainer.run_epochs = arm_timer

    X, y = make_classification(n_samples=20000, n_features=20, random_state=0)
    out = {}
    for early_stopping in (False, True):
        epochs = 0
        clf = RowAttentionClassifier(hidden_layer_sizes=(64,), max_iter=100000, tol=0.0,
                                     n_iter_no_change=100000, early_stopping=early_stopping,
                                     random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf.fit(X, y)
        out[str(early_stopping)] = dict(
            seconds=time.perf_counter() - start,
            warnings=[str(w.message) for w in caught if "interrupted" in str(w.message)],
            n_iter=clf.n_iter_, curve=len(clf.loss_curve_), weights=len(clf.sample_weights_),
            mean_weight=float(clf.sample_weights_.mean()), accuracy=clf.score(X, y),
            val_curve=len(clf.validation_loss_curve_ or []),
            best_is_lowest=bool(early_stopping and clf.best_validation_score_ ==
                                clf.validation_scores_[int(np.argmin(clf.validation_loss_curve_))]),
        )
    # A second Ctrl-C while the first is being handled raises as usual.
    try:
        with catch_interrupt() as guard:
            os.kill(os.getpid(), signal.SIGINT)
            while not guard.requested:
                time.sleep(0.01)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        out["second"] = "not raised"
    except KeyboardInterrupt:
        out["second"] = "KeyboardInterrupt"
    # Outside training, SIGINT is Python's again.
    out["handler_restored"] = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def ctrl_c():
    result = run_python(CTRL_C)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_ctrl_c_during_fit_returns_a_usable_model(ctrl_c):
    run = ctrl_c["False"]
    assert run["seconds"] < 120  # stopped: 100,000 epochs would take hours
    assert run["n_iter"] >= 2
    assert run["curve"] == run["n_iter"]
    assert run["weights"] == 20000 and run["mean_weight"] == pytest.approx(1.0)
    assert run["accuracy"] > 0.8
    [message] = run["warnings"]
    assert "Training interrupted (KeyboardInterrupt)" in message
    assert "weights trained so far" in message


def test_ctrl_c_with_early_stopping_keeps_the_best_epoch(ctrl_c):
    run = ctrl_c["True"]
    assert run["n_iter"] >= 2 and run["val_curve"] == run["n_iter"] == run["curve"]
    assert run["best_is_lowest"]
    [message] = run["warnings"]
    assert "the lowest validation loss so far" in message
    assert run["accuracy"] > 0.8


def test_second_ctrl_c_raises_and_python_gets_sigint_back(ctrl_c):
    assert ctrl_c["second"] == "KeyboardInterrupt"
    assert ctrl_c["handler_restored"]


@pytest.fixture
def ctrl_c_pressed(monkeypatch):
    """Ctrl-C as the guard reports it, pressed before training starts."""
    import contextlib

    from skrowattn import interrupt

    @contextlib.contextmanager
    def pressed():
        guard = interrupt.InterruptGuard()
        guard.requested = True
        yield guard

    monkeypatch.setattr(interrupt, "catch_interrupt", pressed)


def test_interrupt_mid_epoch_keeps_counters_of_whole_epochs(monkeypatch, ctrl_c_pressed):
    # The loop stops after its first chunk (of one batch here).
    from skrowattn import training

    # (Ctrl-C is pressed already: the first fit, two epochs in one call, ends
    # with both trained, and says so.)
    with pytest.warns(UserWarning, match=r"interrupted \(KeyboardInterrupt\) after iteration 2"):
        clf = fitted(max_iter=2)
    weights = [w.copy() for w in clf.model_.get_weights()]
    monkeypatch.setattr(training, "CHUNK_ROWS", 16)  # one batch a chunk
    with pytest.warns(UserWarning, match=r"in iteration 3, after 200 of its 300 rows"):
        clf.partial_fit(X, Y)
    assert clf.n_iter_ == 2 and len(clf.loss_curve_) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(weights, clf.model_.get_weights()))
    assert clf.sample_weights_.shape == (300,)
    np.testing.assert_allclose(clf.sample_weights_.mean(), 1.0)


# -- any other exception -----------------------------------------------------------

def test_failed_first_fit_leaves_a_fresh_estimator():
    def backbone(n_features, n_outputs):
        raise RuntimeError("backbone broke")

    clf = RowAttentionClassifier(backbone=backbone)
    before = dict(vars(clf))
    with pytest.raises(RuntimeError, match="backbone broke"):
        clf.fit(X, Y)
    assert vars(clf) == before  # no n_features_in_, classes_, ...
    with pytest.raises(NotFittedError):
        clf.predict(X)


@pytest.mark.parametrize("error", [MemoryError, KeyboardInterrupt])
def test_failed_continued_fit_keeps_the_previous_model(monkeypatch, error):
    from skrowattn import training

    clf, twin = fitted(), fitted()
    proba, n_iter, curve = clf.predict_proba(X), clf.n_iter_, list(clf.loss_curve_)
    run_epochs = training.Trainer.run_epochs

    def train_then_fail(self, *args, **kwargs):
        run_epochs(self, *args, **kwargs)  # the weights and Adam's moments move...
        raise error("injected")            # ...then the fit fails

    monkeypatch.setattr(training.Trainer, "run_epochs", train_then_fail)
    with pytest.raises(error, match="injected"):
        clf.partial_fit(X, Y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.n_iter_ == n_iter and clf.loss_curve_ == curve
    # Adam's state was restored too: continuing matches a twin that never failed.
    monkeypatch.undo()
    clf.partial_fit(X, Y)
    twin.partial_fit(X, Y)
    np.testing.assert_allclose(clf.predict_proba(X), twin.predict_proba(X), atol=1e-6)


def test_failed_warm_start_fit_on_late_bad_data(monkeypatch):
    reg = RowAttentionRegressor(hidden_layer_sizes=(8,), max_iter=2, warm_start=True,
                                random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, Y.astype(float))
    pred, state = reg.predict(X), sorted(vars(reg))
    with pytest.raises(ValueError, match="features"):
        reg.fit(X[:, :4], Y.astype(float))  # width found wrong after the first fit
    np.testing.assert_array_equal(reg.predict(X), pred)
    assert sorted(vars(reg)) == state


def test_pickle_keeps_adams_state_for_partial_fit():
    clf = fitted()
    copy = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, Y)
    copy.partial_fit(X, Y)
    np.testing.assert_allclose(copy.predict_proba(X), clf.predict_proba(X), atol=1e-6)


# -- streaming checkpoints ---------------------------------------------------------

def write_table(path):
    import pandas as pd

    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    frame["y"] = Y
    frame.to_parquet(path, row_group_size=50)
    return frame.drop(columns="y")


STREAM = dict(target="y", epochs=2, chunk_rows=60)  # 5 chunks a pass, 10 in all
KILLED = """
    import os, signal, warnings
    from skrowattn import RowAttentionClassifier
    from skrowattn.streaming import partial_fit_parquet

    calls = 0
    partial_fit = RowAttentionClassifier.partial_fit
    def die_in_the_seventh_chunk(self, *args, **kwargs):
        global calls
        calls += 1
        if calls == 7:
            os.kill(os.getpid(), signal.SIGKILL)
        return partial_fit(self, *args, **kwargs)
    RowAttentionClassifier.partial_fit = die_in_the_seventh_chunk
    partial_fit_parquet(RowAttentionClassifier(hidden_layer_sizes=(8,), random_state=0),
                        {path!r}, checkpoint={checkpoint!r}, **{stream!r})
"""


def test_killed_streaming_run_resumes_to_the_same_model(tmp_path):
    from skrowattn.streaming import partial_fit_parquet

    path, checkpoint = str(tmp_path / "train.parquet"), str(tmp_path / "run.ckpt")
    features = write_table(path)
    result = run_python(KILLED.format(path=path, checkpoint=checkpoint, stream=STREAM))
    assert result.returncode == -9, result.stderr[-3000:]  # SIGKILL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.ckpt", "train.parquet"]
    with open(checkpoint, "rb") as f:
        assert pickle.load(f)["chunks_done"] == 6

    with pytest.warns(UserWarning, match="its 6 chunks are not trained again"):
        resumed = partial_fit_parquet(
            RowAttentionClassifier(hidden_layer_sizes=(8,), random_state=0), path,
            checkpoint=checkpoint, **STREAM)
    whole = partial_fit_parquet(RowAttentionClassifier(hidden_layer_sizes=(8,), random_state=0),
                                path, **STREAM)
    assert resumed.n_iter_ == whole.n_iter_ == 10
    np.testing.assert_allclose(resumed.loss_curve_, whole.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(resumed.predict_proba(features), whole.predict_proba(features), atol=1e-5)

    # A finished run's checkpoint gives its model back without training.
    with pytest.warns(UserWarning, match="its 10 chunks"):
        again = partial_fit_parquet(
            RowAttentionClassifier(hidden_layer_sizes=(8,), random_state=0), path,
            checkpoint=checkpoint, **STREAM)
    assert again.n_iter_ == 10
    np.testing.assert_array_equal(again.predict_proba(features), resumed.predict_proba(features))


def test_checkpoint_of_another_run_is_refused(tmp_path):
    from skrowattn.streaming import partial_fit_parquet

    path, checkpoint = str(tmp_path / "train.parquet"), str(tmp_path / "run.ckpt")
    write_table(path)
    stream = {**STREAM, "epochs": 1}
    partial_fit_parquet(RowAttentionClassifier(**SMALL), path, checkpoint=checkpoint, **stream)
    with pytest.raises(ValueError, match=r"another run .*'chunk_rows': \(60, 100\)"):
        partial_fit_parquet(RowAttentionClassifier(**SMALL), path, checkpoint=checkpoint,
                            **{**stream, "chunk_rows": 100})
    with pytest.raises(ValueError, match=r"other parameters: hidden_layer_sizes=\(8,\)"):
        partial_fit_parquet(RowAttentionClassifier(**{**SMALL, "hidden_layer_sizes": (4,)}),
                            path, checkpoint=checkpoint, **stream)
    with pytest.raises(TypeError, match="holds a RowAttentionClassifier"):
        partial_fit_parquet(RowAttentionRegressor(**SMALL), path, checkpoint=checkpoint,
                            **stream)


@pytest.mark.parametrize("batch_size, epochs_done", [(60, 1), (20, 0)])
def test_ctrl_c_stops_the_stream_after_the_chunk_in_training(tmp_path, monkeypatch,
                                                            ctrl_c_pressed, batch_size,
                                                            epochs_done):
    # Ctrl-C in the first chunk: with one batch a chunk, its epoch ends and is
    # saved; with three, training stops after the first batch and nothing is.
    from skrowattn import training
    from skrowattn.streaming import partial_fit_parquet

    monkeypatch.setattr(training, "CHUNK_ROWS", 20)  # one batch a compiled call
    path, checkpoint = str(tmp_path / "train.parquet"), str(tmp_path / "run.ckpt")
    features = write_table(path)
    with pytest.warns(UserWarning, match="Training interrupted"):
        clf = partial_fit_parquet(RowAttentionClassifier(**SMALL, batch_size=batch_size), path,
                                  checkpoint=checkpoint, **STREAM)
    assert clf.n_iter_ == epochs_done
    assert (tmp_path / "run.ckpt").exists() == bool(epochs_done)
    assert clf.predict(features).shape == (300,)
