"""RowAttentionClassifier and RowAttentionRegressor: behaviour and API."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

from _helpers import FAST, quiet_fit, rounding


# -- targets ----------------------------------------------------------------------
@pytest.mark.parametrize("labels", [np.array(["no", "yes"]), np.array([False, True]), np.array([3, 7])])
def test_binary_labels_of_any_hashable_type(cancer, labels):
    X, y = cancer
    # 30 epochs of 7 batches: enough steps to learn, whatever the initial weights.
    clf = quiet_fit(RowAttentionClassifier(**dict(FAST, batch_size=32)), X, labels[y])
    np.testing.assert_array_equal(clf.classes_, labels)
    pred = clf.predict(X)
    assert pred.dtype == labels.dtype and set(pred) <= set(labels)
    assert clf.score(X, labels[y]) > 0.85
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-6, atol=1e-9)


def test_multiclass(iris):
    X, y = iris
    clf = quiet_fit(RowAttentionClassifier(max_iter=100, learning_rate_init=0.01, random_state=0), X, y)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, y) > 0.9
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[clf.predict_proba(X).argmax(1)])


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=120, n_classes=4, random_state=0)
    clf = quiet_fit(RowAttentionClassifier(max_iter=80, learning_rate_init=0.01, random_state=0), X, Y)
    pred = clf.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    assert clf.predict_proba(X).shape == Y.shape
    assert np.mean(pred == Y) > 0.75


def test_class_weight_shifts_decisions():
    # Overlapping classes, so that the weights have borderline rows to move.
    X, y = make_classification(n_samples=300, n_features=5, flip_y=0.3, class_sep=0.5,
                               random_state=0)
    fast = dict(FAST, learning_rate_init=0.01)
    plain = quiet_fit(RowAttentionClassifier(**fast), X, y)
    ones = quiet_fit(RowAttentionClassifier(class_weight={0: 1.0, 1: 5.0}, **fast), X, y)
    zeros = quiet_fit(RowAttentionClassifier(class_weight={0: 5.0, 1: 1.0}, **fast), X, y)
    balanced = quiet_fit(RowAttentionClassifier(class_weight="balanced", **fast), X, y)
    share = lambda clf: clf.predict_proba(X)[:, 1].mean()  # noqa: E731
    assert share(zeros) < share(plain) < share(ones)
    assert balanced.score(X, y) > 0.6


@pytest.mark.parametrize("scale", [1.0, 1e6])
def test_regressor_works_at_any_target_scale(scale):
    X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    reg = quiet_fit(RowAttentionRegressor(max_iter=60, learning_rate_init=0.01, random_state=0), X, y * scale)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y * scale) > 0.9


def test_regressor_multi_output():
    X, Y = make_regression(n_samples=150, n_features=4, n_targets=2, random_state=0)
    reg = quiet_fit(RowAttentionRegressor(max_iter=60, learning_rate_init=0.01, random_state=0), X, Y)
    assert reg.predict(X).shape == (150, 2)
    assert reg.score(X, Y) > 0.8


# -- learned weights and transform ------------------------------------------------------
def test_sample_weights_(fitted, cancer):
    X, _ = cancer
    w = fitted.sample_weights_
    assert isinstance(w, np.ndarray) and w.shape == (len(X),)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert w.mean() == pytest.approx(1.0, abs=1e-12)
    # score_samples: the features' part, row by row, on the same scale; the
    # training rows' learned scores only lower it (measured: 38% of the rows
    # keep exactly the weight their features give, the others less).
    features = fitted.score_samples(X)
    np.testing.assert_allclose(fitted.score_samples(X[::-1]), features[::-1], rtol=1e-6)
    ratio = w / features
    assert np.mean(np.isclose(ratio, ratio.max(), rtol=1e-6)) > 0.2
    assert w.std() > 0  # the weights do tell rows apart
    # Usable as sample_weight anywhere.
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import scale

    logistic = LogisticRegression().fit(scale(X), cancer[1], sample_weight=w)
    assert logistic.score(scale(X), cancer[1]) > 0.95


def test_transform_and_feature_names(fitted, cancer):
    X, y = cancer
    Z = fitted.transform(X)
    names = fitted.get_feature_names_out()
    assert Z.shape == (len(X), 16) and len(names) == 16
    assert names[0] == "rowattention0"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        np.testing.assert_allclose(clone(fitted).fit_transform(X, y), Z)
    # Inference mode: a row's representation does not depend on the others.
    np.testing.assert_allclose(fitted.transform(X[:1]), Z[:1], atol=1e-6)
    df = fitted.set_output(transform="pandas").transform(X)
    fitted.set_output(transform="default")
    assert list(df.columns) == list(names)


def test_networks_compute_in_float32_except_on_a_few_dozen_float64_rows(cancer):
    """float32 steps take half the time; a float64 table of at most 64 rows
    trains in float64 (exact sample weights there), and the outputs keep the
    caller's dtype either way."""
    import keras

    from skrowattn._tensors import FLOAT64_MAX_ROWS

    X, y = cancer
    small = slice(0, FLOAT64_MAX_ROWS)
    cases = [(X, "float32"), (X.astype(np.float32), "float32"),
             (X[small].astype(np.float32), "float32")]
    if keras.backend.backend() != "jax":  # (JAX without x64 has no float64)
        cases.append((X[small], "float64"))
    for data, dtype in cases:
        clf = quiet_fit(RowAttentionClassifier(**FAST), data, y[:len(data)])
        assert clf._dtype == dtype
        assert {str(w.dtype) for w in clf.model_.get_weights()} == {dtype}
        assert clf.predict_proba(data).dtype == np.float64
        for given in (np.float32, np.float64):
            assert clf.transform(data.astype(given)).dtype == given


def test_transform_of_many_rows_is_written_in_the_callers_dtype(fitted, cancer):
    """Large inputs go through the network in blocks written straight into an
    array of the caller's float dtype: the same values as a small call's."""
    from skrowattn import inference

    X = np.tile(cancer[0], (inference._NUMPY_CHUNK // len(cancer[0]) + 2, 1))
    Z = fitted.transform(X)
    assert Z.dtype == np.float64 and Z.flags.c_contiguous and len(Z) == len(X)
    np.testing.assert_allclose(Z[-len(cancer[0]):], fitted.transform(cancer[0]), **rounding(fitted))
    assert fitted.transform(X.astype(np.float32)).dtype == np.float32


# -- the ecosystem ---------------------------------------------------------------------
def test_pipeline_grid_search_and_cross_val(cancer):
    X, y = cancer
    pipe = make_pipeline(
        StandardScaler(), RowAttentionClassifier(max_iter=20, learning_rate_init=0.01, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            pipe, {"rowattentionclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2, n_jobs=1,
            error_score="raise").fit(X, y)
        search2 = GridSearchCV(
            pipe, {"rowattentionclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2, n_jobs=2,
            error_score="raise").fit(X, y)
    assert search.best_score_ > 0.8
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], search2.cv_results_["mean_test_score"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        s1, s2 = (cross_val_score(RowAttentionRegressor(max_iter=10, random_state=0), X,
                                  y.astype(float), cv=2, n_jobs=n_jobs, error_score="raise")
                  for n_jobs in (1, 2))
    np.testing.assert_allclose(s1, s2)


def test_clone_set_params_and_pickle(fitted, cancer):
    X, _ = cancer
    c = clone(fitted)
    assert not hasattr(c, "model_") and c.get_params() == fitted.get_params()
    c.set_params(hidden_layer_sizes=(4,), temperature=1.0)
    assert c.hidden_layer_sizes == (4,) and c.temperature == 1.0
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    np.testing.assert_array_equal(restored.sample_weights_, fitted.sample_weights_)
    np.testing.assert_allclose(restored.transform(X), fitted.transform(X))


def test_a_pickle_from_before_a_parameter_existed_takes_its_default(fitted, cancer):
    X, y = cancer
    state = fitted.__getstate__()
    del state["novelty"], state["row_score_rate"]  # as pickled before they existed
    restored = RowAttentionClassifier.__new__(RowAttentionClassifier)
    restored.__setstate__(state)
    defaults = RowAttentionClassifier().get_params()
    assert (restored.novelty, restored.row_score_rate) == (defaults["novelty"],
                                                           defaults["row_score_rate"])
    assert restored.get_params() == fitted.get_params()
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


def test_fits_a_dataframe_of_numbers(cancer):
    data = load_breast_cancer(as_frame=True)
    X, y = data.data.iloc[:200], data.target.iloc[:200]
    clf = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, X.columns)
    assert clf.n_features_in_ == 30
    with pytest.warns(UserWarning, match="valid feature names"):  # as scikit-learn's own
        from_array = clf.predict(X.to_numpy())
    np.testing.assert_array_equal(clf.predict(X), from_array)


def test_sample_weight_routed_through_pipeline(cancer):
    X, y = cancer
    w = np.where(y == 1, 5.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = RowAttentionClassifier(**FAST).set_fit_request(sample_weight=True)
        pipe = Pipeline([("scale", StandardScaler().set_fit_request(sample_weight=False)), ("clf", est)])
        quiet_fit(pipe, X, y, sample_weight=w)
    direct = quiet_fit(RowAttentionClassifier(**FAST), StandardScaler().fit_transform(X), y, sample_weight=w)
    np.testing.assert_allclose(
        pipe.predict_proba(X), direct.predict_proba(StandardScaler().fit(X).transform(X)), rtol=1e-6
    )
    unweighted = quiet_fit(RowAttentionClassifier(**FAST), StandardScaler().fit_transform(X), y)
    assert not np.allclose(unweighted.predict_proba(StandardScaler().fit(X).transform(X)),
                           direct.predict_proba(StandardScaler().fit(X).transform(X)))


def test_import_does_not_load_keras():
    import subprocess
    import sys

    code = (
        "import sys, skrowattn\n"
        "from sklearn.base import clone\n"
        "est = skrowattn.RowAttentionClassifier()\n"
        "clone(est).set_params(max_iter=3)\n"
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, "
        "[m for m in sys.modules if m.startswith(('keras', 'tensorflow'))][:5]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
