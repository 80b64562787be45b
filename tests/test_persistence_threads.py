"""Persistence (pickle, joblib, skops, .keras), threads and determinism."""

import pickle
import subprocess
import sys
import textwrap
import threading
import warnings

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning

from skrowattn import RowAttentionClassifier
from skrowattn.persistence import InconsistentVersionWarning

X, Y = load_breast_cancer(return_X_y=True)
X, Y = X[:150], Y[:150]
SETTINGS = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)

# What skops asks a user to trust when loading a fitted estimator: documented in
# docs/persistence.md. Nothing there runs code on load beyond these classes'
# own __setstate__, which reads a .keras archive with Keras' safe mode on.
TRUSTED = ["skrowattn.estimators.RowAttentionClassifier",
           "skrowattn.preprocessing.TabularPreprocessor"]


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RowAttentionClassifier(**SETTINGS).fit(X, Y)


def test_pickle_and_joblib_round_trips(fitted, tmp_path):
    expected = fitted.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X), expected)
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), expected)


def test_loads_in_a_fresh_process(fitted, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(fitted, path)
    np.save(tmp_path / "expected.npy", fitted.predict_proba(X))
    code = textwrap.dedent(f"""
        import joblib, numpy as np
        from sklearn.datasets import load_breast_cancer
        X = load_breast_cancer(return_X_y=True)[0][:150]
        model = joblib.load({str(path)!r})
        np.testing.assert_array_equal(model.predict_proba(X), np.load({str(tmp_path / "expected.npy")!r}))
    """)
    subprocess.run([sys.executable, "-c", code], check=True)


def test_skops_lists_only_reviewable_types(fitted, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(fitted, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert sorted(untrusted) == sorted(TRUSTED)
    loaded = sio.load(path, trusted=TRUSTED)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


def test_other_version_warns_on_load(fitted, monkeypatch):
    data = pickle.dumps(fitted)
    import skrowattn

    monkeypatch.setattr(skrowattn, "__version__", "99.0")
    with pytest.warns(InconsistentVersionWarning, match="saved by skrowattn 0.1.0 with skrowattn 99.0"):
        pickle.loads(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        monkeypatch.undo()
        pickle.loads(data)  # same version: silent


def test_backbone_exports_alone_as_keras_file(fitted, tmp_path):
    import keras

    path = tmp_path / "backbone.keras"
    fitted.model_.save(path)
    loaded = keras.saving.load_model(path)
    Xs = fitted._preprocess(X)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(Xs, training=False)),
                               fitted._logits(X), rtol=1e-5, atol=1e-6)


def test_eight_threads_predict_as_sequential_calls(fitted):
    chunks = [X[i::8] for i in range(8)]
    expected = [fitted.predict_proba(c) for c in chunks]
    results = [None] * 8

    def work(i):
        for _ in range(20):
            results[i] = fitted.predict_proba(chunks[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_same_random_state_same_predictions_in_two_processes(tmp_path):
    code = textwrap.dedent(f"""
        import sys, warnings, numpy as np
        warnings.simplefilter("ignore")
        from sklearn.datasets import load_breast_cancer
        from skrowattn import RowAttentionClassifier
        X, y = load_breast_cancer(return_X_y=True)
        clf = RowAttentionClassifier(**{SETTINGS!r}).fit(X[:150], y[:150])
        np.save(sys.argv[1], clf.predict_proba(X))
    """)
    outputs = []
    for i in range(2):
        out = tmp_path / f"run{i}.npy"
        subprocess.run([sys.executable, "-c", code, str(out)], check=True)
        outputs.append(np.load(out))
    np.testing.assert_array_equal(outputs[0], outputs[1])
