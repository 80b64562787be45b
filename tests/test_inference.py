"""Inference of fitted estimators (skrowattn.inference): the NumPy path against Keras."""

import warnings

import numpy as np
import pytest

from skrowattn import RowAttentionClassifier

from _helpers import FAST, quiet_fit, rounding


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probabilities_of_extreme_logits_are_exact_and_silent(n_classes, monkeypatch):
    # Logits of +-1000 (a network that saturated): no overflow warning, no NaN,
    # and log-probabilities that keep their magnitude instead of -inf.
    y = np.arange(30) % n_classes
    clf = quiet_fit(RowAttentionClassifier(**FAST), np.random.default_rng(0).normal(size=(30, 3)), y)
    logits = np.array([[-1000.0], [1000.0]]) if n_classes == 2 else np.array(
        [[-1000.0, 0.0, 1000.0], [0.0, 0.0, 0.0]])
    monkeypatch.setattr(clf, "_logits", lambda X: logits)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba, log_proba = clf.predict_proba(None), clf.predict_log_proba(None)
    if n_classes == 2:
        np.testing.assert_array_equal(proba, [[1.0, 0.0], [0.0, 1.0]])
        np.testing.assert_allclose(log_proba, [[0.0, -1000.0], [-1000.0, 0.0]])
    else:
        np.testing.assert_allclose(proba, [[0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3]])
        np.testing.assert_allclose(log_proba[0], [-2000.0, -1000.0, 0.0])


def test_numpy_inference_matches_keras(fitted, cancer):
    import keras

    X, _ = cancer
    Xs = fitted._preprocess(X)
    keras_logits = keras.ops.convert_to_numpy(fitted.model_(Xs, training=False))
    np.testing.assert_allclose(fitted._logits(X), keras_logits, atol=1e-5, rtol=1e-5)
    from skrowattn.inference import KerasPlan

    out, _ = KerasPlan(fitted.model_).attention(Xs)
    np.testing.assert_allclose(fitted.transform(X), out, atol=1e-5, rtol=1e-5)
    # The reported weights: the layer's, with the estimator's novelty term.
    w = KerasPlan(fitted.model_).weights(Xs, novelty=fitted.novelty)
    np.testing.assert_allclose(fitted.score_samples(X) * fitted._weight_scale, w, rtol=1e-5)


@pytest.mark.parametrize("attention_layer", [0, 1])
def test_numpy_inference_leaves_the_input_untouched(cancer, attention_layer):
    """The NumPy path works in place on its own arrays only: with no
    preprocessing and the attention on the inputs, the rows the user passed
    reach it as they are, and must come back unchanged."""
    import keras

    X, y = cancer
    X = ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)
    clf = quiet_fit(RowAttentionClassifier(preprocessing=None, attention_layer=attention_layer,
                                           **FAST), X, y)
    before = X.copy()
    logits = clf._logits(X)
    outputs = clf.transform(X)
    np.testing.assert_array_equal(X, before)
    keras_logits = keras.ops.convert_to_numpy(clf.model_(X, training=False))
    np.testing.assert_allclose(logits, keras_logits, atol=1e-5, rtol=1e-5)
    assert not np.shares_memory(outputs, X)


def five_blocks(X):
    """``X``'s rows repeated into at least five blocks of the NumPy inference."""
    from skrowattn.inference import _NUMPY_CHUNK

    return np.tile(X, (-(-5 * _NUMPY_CHUNK // len(X)), 1))


def test_blocks_run_in_parallel_threads_and_match_one_block(fitted, cancer, monkeypatch):
    """Large inputs go through the network in blocks, several threads at a
    time with BLAS on one thread each: the same numbers as one block, the
    caller's BLAS limit respected, nothing written into X."""
    import threading

    from threadpoolctl import ThreadpoolController, threadpool_limits

    from skrowattn import inference

    X = five_blocks(cancer[0])
    before = X.copy()
    blas = ThreadpoolController().select(user_api="blas")
    seen = []
    run = inference.NumpyPlan.run

    def spy(self, x, until="logits", out=None, novelty=0.0):
        seen.append((threading.get_ident(), max(i["num_threads"] for i in blas.info())))
        return run(self, x, until, out, novelty)

    monkeypatch.setattr(inference.NumpyPlan, "run", spy)
    blocks = fitted.predict_proba(X), fitted.transform(X), fitted.score_samples(X)
    threads = {ident for ident, _ in seen}
    if max(i["num_threads"] for i in blas.info()) >= 2:
        assert len(threads) >= 2
        # BLAS on one thread inside each block run in parallel
        assert {n for ident, n in seen if ident != threading.get_ident()} == {1}
    with threadpool_limits(limits=1, user_api="blas"):
        seen.clear()
        fitted.predict_proba(X)
        assert {ident for ident, _ in seen} == {threading.get_ident()}
    monkeypatch.setattr(inference, "_NUMPY_CHUNK", len(X))
    seen.clear()
    whole = fitted.predict_proba(X), fitted.transform(X), fitted.score_samples(X)
    assert len(seen) == 3
    for got, expected in zip(blocks, whole):
        np.testing.assert_allclose(got, expected, **rounding(fitted))
    np.testing.assert_array_equal(X, before)


def test_predictions_from_many_threads_leave_blas_as_it_was(fitted, cancer):
    """Calls overlapping from the caller's threads: each gets its numbers, and
    BLAS's thread count afterwards is what it was before."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import ThreadpoolController

    X = five_blocks(cancer[0])
    blas = ThreadpoolController().select(user_api="blas")
    before = [i["num_threads"] for i in blas.info()]
    expected = fitted.predict_proba(X)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: fitted.predict_proba(X), range(12)))
    for got in results:
        np.testing.assert_allclose(got, expected, **rounding(fitted))
    assert [i["num_threads"] for i in blas.info()] == before


def test_a_users_transformer_sees_all_rows_at_once(cancer):
    """Only our own row-wise preprocessing runs block by block (and in
    threads); a user's transformer is called once, on every row."""
    from sklearn.preprocessing import StandardScaler

    class Counting(StandardScaler):
        def transform(self, X, copy=None):
            calls.append(len(X))
            return super().transform(X, copy=copy)

    calls = []
    X, y = cancer
    clf = quiet_fit(RowAttentionClassifier(preprocessing=Counting(), **FAST), X, y)
    big = five_blocks(X)
    calls.clear()
    clf.predict_proba(big)
    assert calls == [len(big)]


def test_one_row_fast_path_matches_keras_and_sklearn_validation(fitted, cancer, monkeypatch):
    import keras

    X, _ = cancer
    Xs = fitted._preprocess(X)
    logits = keras.ops.convert_to_numpy(fitted.model_(Xs, training=False)).astype(np.float64)
    from skrowattn.inference import KerasPlan

    out, _ = KerasPlan(fitted.model_).attention(Xs)
    w = KerasPlan(fitted.model_).weights(Xs, novelty=fitted.novelty)
    rows = [X[i:i + 1] for i in range(10)]
    fast = {
        "predict_proba": np.vstack([fitted.predict_proba(r) for r in rows]),
        "predict": np.concatenate([fitted.predict(r) for r in rows]),
        "transform": np.vstack([fitted.transform(r) for r in rows]),
        "score_samples": np.concatenate([fitted.score_samples(r) for r in rows]),
    }
    p = 1 / (1 + np.exp(-logits[:10, 0]))
    np.testing.assert_allclose(fast["predict_proba"][:, 1], p, atol=1e-5)
    np.testing.assert_array_equal(fast["predict"], fitted.classes_[(p > 0.5).astype(int)])
    np.testing.assert_allclose(fast["transform"], out[:10], atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(fast["score_samples"] * fitted._weight_scale, w[:10], rtol=1e-5)
    # The same calls through scikit-learn's validation give the same numbers.
    monkeypatch.setattr(type(fitted), "_is_plain_array", lambda self, X: False)
    for method, values in fast.items():
        slow = [getattr(fitted, method)(r) for r in rows]
        np.testing.assert_array_equal(np.concatenate(slow), values)


def test_one_row_fast_path_keeps_scikit_learn_errors(fitted, cancer):
    X, _ = cancer
    row = X[:1].copy()
    row[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fitted.predict(row)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:1, :5])


@pytest.mark.parametrize("normalization, mode, novelty", [
    ("sum", "running", 0.0), ("mean", "running", 0.0), ("sum", "batch", 0.0),
    ("mean", "batch", 0.0), ("mean", "running", 3.0), ("sum", "batch", 1.5)])
def test_numpy_weights_from_the_layers_constants_match_keras(keras, normalization, mode, novelty):
    from skrowattn.inference import _NumpyRowAttention
    from skrowattn.layers import RowAttention

    rng = np.random.default_rng(0)
    layer = RowAttention(6, temperature=3.0, normalization=normalization, inference=mode, seed=1,
                         novelty=novelty)
    for _ in range(3):  # moves the running statistics and the batch norm's
        layer(rng.normal(size=(32, 6)).astype("float32"), training=True)
    x = rng.normal(size=(20, 6)).astype("float32")
    _, expected = layer(x, training=False, return_attention_weights=True)
    got = _NumpyRowAttention(layer, None).weights(x)
    np.testing.assert_allclose(got, keras.ops.convert_to_numpy(expected).ravel(), rtol=1e-5)


def test_reported_novelty_is_the_layers_novelty_term_in_both_plans(keras, fitted, cancer):
    # novelty= on the plans' weights: what RowAttention(novelty=) would give the
    # rows, from the NumPy path and from Keras alike, and nothing else changes.
    from skrowattn.backbone import find_row_attention
    from skrowattn.inference import KerasPlan, NumpyPlan
    from skrowattn.layers import input_model

    X, _ = cancer
    Xs = fitted._preprocess(X)
    numpy_plan, keras_plan = NumpyPlan.from_model(fitted.model_), KerasPlan(fitted.model_)
    layer = find_row_attention(fitted.model_)
    h = input_model(fitted.model_, layer)(Xs, training=False)
    c = layer.inference_constants()
    h_np = keras.ops.convert_to_numpy(h)
    # The layer's inputs standardized by the training rows' running statistics.
    d2 = np.mean(np.square((h_np - c["input_mean"]) * c["input_inv_std"]), axis=-1)
    plain = numpy_plan.weights(Xs)
    expected = plain * (1.0 + d2) ** -2.5
    np.testing.assert_allclose(numpy_plan.weights(Xs, novelty=2.5), expected, rtol=1e-4)
    np.testing.assert_allclose(keras_plan.weights(Xs, novelty=2.5), expected, rtol=1e-4)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.distance(h)), np.log1p(d2),
                               rtol=1e-5)
    np.testing.assert_array_equal(numpy_plan.weights(Xs), plain)


def test_fit_predict_and_pickle_raise_no_library_warnings(cancer):
    # float64 input (as scikit-learn loads it): on TensorFlow, NumPy 2 flagged
    # every variable Keras converted; on JAX, every float64 array it truncated.
    import pickle

    X, y = cancer
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = RowAttentionClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0,
                                     early_stopping=True).fit(X, y)
        clf.predict_proba(X)
        clf.transform(X)
        clf.score_samples(X)
        pickle.loads(pickle.dumps(clf)).predict(X)
        clf.partial_fit(X, y)
    from sklearn.exceptions import ConvergenceWarning

    foreign = [f"{w.category.__name__}: {w.message} ({w.filename})" for w in caught
               if not issubclass(w.category, ConvergenceWarning)]
    assert foreign == []
