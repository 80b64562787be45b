"""Bad input: a clear ValueError/TypeError naming the problem, inputs untouched."""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)
TINY = dict(hidden_layer_sizes=(4,), max_iter=2, random_state=0)


def _tf_error_types():
    import tensorflow as tf

    return (tf.errors.OpError,)


def check_clear_error(fit, exc, match):
    """``fit()`` raises ``exc`` matching ``match``, never a TensorFlow error, and
    leaves its arguments as they were."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(exc, match=match) as info:
            fit()
    assert not isinstance(info.value, _tf_error_types())


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    elif sp.issparse(a):
        assert (a != b).nnz == 0
    else:
        np.testing.assert_array_equal(a, b)  # NaN equals NaN here


CASES = {
    # name: (estimator kwargs, X, y, fit kwargs, exception, message pattern)
    "nan, preprocessing=None": (dict(preprocessing=None), np.where(X > 1.5, np.nan, X), Y, {}, ValueError, "NaN"),
    "inf": ({}, np.where(X > 1.5, np.inf, X), Y, {}, ValueError, "infinity"),
    "inf in a DataFrame": ({}, pd.DataFrame(np.where(X > 1.5, np.inf, X), columns=list("abc")), Y, {},
                           ValueError, "infinity"),
    "empty X": ({}, np.zeros((0, 3)), np.zeros(0), {}, ValueError, "0 sample"),
    "empty DataFrame": ({}, pd.DataFrame({"a": []}), np.zeros(0), {}, ValueError, "0 sample"),
    "zero features": ({}, np.zeros((40, 0)), Y, {}, ValueError, "0 feature"),
    "X and y lengths differ": ({}, X, Y[:-3], {}, ValueError, "inconsistent numbers of samples"),
    "y with NaN (classifier)": ({}, X, np.where(Y == 1, np.nan, 0.0), {}, ValueError, "NaN|Unknown label type"),
    "one class only": ({}, X, np.zeros(40, dtype=int), {}, ValueError, "at least 2 classes"),
    "3-D array": ({}, X.reshape(40, 3, 1), Y, {}, ValueError, "3|dim"),
    "complex numbers": ({}, X + 1j, Y, {}, ValueError, "[Cc]omplex"),
    "strings, preprocessing=None": (dict(preprocessing=None), np.array([["a"], ["b"]] * 20), Y, {},
                                    ValueError, "could not convert|string"),
    "sparse matrix": ({}, sp.csr_matrix(X), Y, {}, TypeError, "[Ss]parse"),
    "negative sample_weight": ({}, X, Y, dict(sample_weight=-np.ones(40)), ValueError, "[Nn]egative"),
    "NaN sample_weight": ({}, X, Y, dict(sample_weight=np.full(40, np.nan)), ValueError, "NaN"),
    "wrongly shaped sample_weight": ({}, X, Y, dict(sample_weight=np.ones(7)), ValueError, r"sample_weight.shape|shape"),
    "early stopping, no weighted validation row": (
        dict(early_stopping=True, random_state=0), X, Y,
        dict(sample_weight=np.eye(1, 40).ravel()), ValueError, "held out for validation"),
    "early stopping, no weighted training row": (  # row 2 is held out at random_state=0
        dict(early_stopping=True, random_state=0), X, Y,
        dict(sample_weight=np.eye(1, 40, 2).ravel()), ValueError, "left for training"),
    "all-zero sample_weight": ({}, X, Y, dict(sample_weight=np.zeros(40)), ValueError, "non-zero"),
    "hidden_layer_sizes=(0,)": (dict(hidden_layer_sizes=(0,)), X, Y, {}, ValueError, "hidden_layer_sizes"),
    "hidden_layer_sizes=()": (dict(hidden_layer_sizes=()), X, Y, {}, ValueError, "hidden_layer_sizes"),
    "batch_size=0": (dict(batch_size=0), X, Y, {}, ValueError, "batch_size"),
    "learning_rate_init=-1": (dict(learning_rate_init=-1), X, Y, {}, ValueError, "learning_rate_init"),
    "learning_rate='adaptive'": (dict(learning_rate="adaptive"), X, Y, {}, ValueError, "learning_rate"),
    "validation_fraction=1.5": (dict(validation_fraction=1.5), X, Y, {}, ValueError, "validation_fraction"),
    "max_iter=0": (dict(max_iter=0), X, Y, {}, ValueError, "max_iter"),
    "temperature=0": (dict(temperature=0), X, Y, {}, ValueError, "temperature"),
    "activation='swish'": (dict(activation="swish"), X, Y, {}, ValueError, "activation"),
    "dropout=1": (dict(dropout=1.0), X, Y, {}, ValueError, "dropout"),
    "alpha=-1": (dict(alpha=-1.0), X, Y, {}, ValueError, "alpha"),
    "preprocessing='scale'": (dict(preprocessing="scale"), X, Y, {}, ValueError, "preprocessing"),
    "class_weight='auto'": (dict(class_weight="auto"), X, Y, {}, ValueError, "class_weight"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_a_clear_error(name):
    kwargs, Xb, yb, fit_kwargs, exc, match = CASES[name]
    copies = (copy.deepcopy(Xb), copy.deepcopy(yb), copy.deepcopy(fit_kwargs))
    est = RowAttentionClassifier(**{**TINY, **kwargs})
    check_clear_error(lambda: est.fit(Xb, yb, **fit_kwargs), exc, match)
    _same(Xb, copies[0])
    _same(yb, copies[1])
    for key in fit_kwargs:
        np.testing.assert_array_equal(fit_kwargs[key], copies[2][key])


def test_regressor_y_with_nan():
    check_clear_error(
        lambda: RowAttentionRegressor(**TINY).fit(X, np.where(Y == 1, np.nan, 0.0)), ValueError, "NaN"
    )


@pytest.fixture(scope="module")
def fitted():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RowAttentionClassifier(**TINY).fit(X, Y)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "score_samples"])
def test_wrong_number_of_features_at_predict(fitted, method):
    check_clear_error(lambda: getattr(fitted, method)(X[:, :2]), ValueError, "2 features.*3 features|expecting 3")


def test_predict_rejects_inf_and_sparse(fitted):
    check_clear_error(lambda: fitted.predict(np.full((2, 3), np.inf)), ValueError, "infinity")
    check_clear_error(lambda: fitted.predict(sp.csr_matrix(X)), TypeError, "[Ss]parse")


def test_predict_does_not_modify_its_input(fitted):
    Xn = np.where(X > 1.5, np.nan, X)
    before = Xn.copy()
    fitted.predict_proba(Xn)
    np.testing.assert_array_equal(Xn, before)


def test_divergence_stops_restores_and_warns():
    Xs = (RNG.normal(size=(200, 5)) * 1e3).astype(np.float32)  # float32 overflows
    ys = Xs[:, 0] * 1e6
    reg = RowAttentionRegressor(learning_rate_init=1e12, max_iter=20, alpha=0.0, preprocessing=None,
                                random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        reg.fit(Xs, ys)
    assert reg.n_iter_ < 20
    assert all(np.isfinite(reg.loss_curve_))
    assert np.all(np.isfinite(reg.predict(Xs)))
    assert np.all(np.isfinite(reg.sample_weights_))


def test_predict_warns_about_non_finite_outputs(fitted):
    import copy as copy_module

    broken = copy_module.deepcopy(fitted)
    weights = broken.model_.get_weights()
    broken.model_.set_weights([w * 1e300 if w.ndim == 2 else w for w in weights])
    broken._inference_plan = None
    with pytest.warns(RuntimeWarning, match="NaN or infinite"):
        broken.predict_proba(X)
