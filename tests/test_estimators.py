"""RowAttentionClassifier and RowAttentionRegressor: behaviour and API."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.datasets import (
    load_breast_cancer,
    load_iris,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

FAST = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:200], y[:200]


@pytest.fixture(scope="module")
def fitted(cancer):
    X, y = cancer
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return RowAttentionClassifier(**FAST).fit(X, y)


def quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


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


# -- the network ------------------------------------------------------------------
def _attention_position(model):
    from skrowattn.layers import RowAttention

    names = [type(layer).__name__ for layer in model.layers]
    return names.index("RowAttention"), names, [l for l in model.layers if isinstance(l, RowAttention)]


def test_default_backbone_places_attention_after_first_hidden_layer(fitted):
    position, names, attention = _attention_position(fitted.model_)
    assert names[:position + 1] == ["InputLayer", "Dense", "RowAttention"]
    (layer,) = attention
    assert (layer.normalization, layer.inference) == ("mean", "running")


@pytest.mark.parametrize("where, before", [(0, ["InputLayer"]), (2, ["InputLayer", "Dense", "Dense"])])
def test_attention_layer_moves_it(cancer, where, before):
    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(hidden_layer_sizes=(8, 8), attention_layer=where, max_iter=2), X, y
    )
    position, names, _ = _attention_position(clf.model_)
    assert names[:position] == before


def test_attention_options_reach_the_layer(cancer):
    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(hidden_layer_sizes=(12,), attention_hidden_dim=3, temperature=2.0,
                               dropout=0.2, max_iter=2), X, y)
    _, names, (layer,) = _attention_position(clf.model_)
    assert layer.hidden_dim == 3 and layer.temperature == 2.0
    assert "Dropout" in names


def test_attention_layer_beyond_the_stack_is_rejected(cancer):
    with pytest.raises(ValueError, match="attention_layer=3"):
        RowAttentionClassifier(hidden_layer_sizes=(8, 8), attention_layer=3).fit(*cancer)


def test_custom_backbone(cancer):
    import keras

    from skrowattn.layers import RowAttention

    def builder(n_features, n_outputs):
        inputs = keras.Input((n_features,))
        h = keras.layers.Dense(8, activation="tanh")(inputs)
        h = RowAttention(8, normalization="mean")(h)
        return keras.Model(inputs, keras.layers.Dense(n_outputs)(h))

    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(backbone=builder, max_iter=40, learning_rate_init=0.01, random_state=0), X, y
    )
    assert clf.model_.layers[1].activation.__name__ == "tanh"
    assert clf.score(X, y) > 0.85
    assert clf.transform(X).shape == (len(X), 8)
    assert clf.sample_weights_.shape == (len(X),)


def test_backbone_without_row_attention_is_a_value_error(cancer):
    import keras

    def builder(n_features, n_outputs):
        return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(n_outputs)])

    with pytest.raises(ValueError, match="RowAttention"):
        RowAttentionClassifier(backbone=builder).fit(*cancer)


def test_numpy_inference_matches_keras(fitted, cancer):
    import keras

    X, _ = cancer
    Xs = fitted._scaled(X)
    keras_logits = keras.ops.convert_to_numpy(fitted.model_(Xs, training=False))
    np.testing.assert_allclose(fitted._logits(X), keras_logits, atol=1e-5, rtol=1e-5)
    from skrowattn.inference import KerasPlan

    out, w = KerasPlan(fitted.model_).attention(Xs)
    np.testing.assert_allclose(fitted.transform(X), out, atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(fitted.score_samples(X) * fitted._weight_scale, w, rtol=1e-5)


def test_one_row_fast_path_matches_keras_and_sklearn_validation(fitted, cancer, monkeypatch):
    import keras

    X, _ = cancer
    Xs = fitted._scaled(X)
    logits = keras.ops.convert_to_numpy(fitted.model_(Xs, training=False)).astype(np.float64)
    from skrowattn.inference import KerasPlan

    out, w = KerasPlan(fitted.model_).attention(Xs)
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


def test_xla_and_graph_training_agree(cancer, monkeypatch):
    from skrowattn import training

    X, y = cancer
    results = []
    for steps in (0, 10**9):  # XLA always, XLA never
        monkeypatch.setattr(training, "XLA_MIN_STEPS", steps)
        clf = quiet_fit(RowAttentionClassifier(max_iter=3, batch_size=32, random_state=0), X, y)
        results.append((clf.loss_curve_, clf.predict_proba(X)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-4)


# -- training control ---------------------------------------------------------------
def test_n_iter_no_change_above_max_iter_runs_exactly_max_iter(cancer):
    clf = RowAttentionClassifier(max_iter=7, n_iter_no_change=100, tol=10.0)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf.fit(*cancer)
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_stops_when_loss_stalls(cancer):
    clf = RowAttentionClassifier(max_iter=200, n_iter_no_change=2, tol=10.0).fit(*cancer)
    # MLP's rule: the first epoch sets best_loss_, and training stops once more
    # than n_iter_no_change epochs in a row stall.
    assert clf.n_iter_ == 4


def test_early_stopping_records_validation_scores(cancer):
    X, y = cancer
    clf = RowAttentionClassifier(
        hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3, max_iter=300,
        learning_rate_init=0.01, random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_ < 300
    # The kept epoch is the one of the lowest held-out log-loss.
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert 0.8 < clf.best_validation_score_ <= 1.0
    # Training stopped at most n_iter_no_change + 1 epochs after the best one
    # (fewer when the best epoch improved by less than tol).
    assert best + 1 < clf.n_iter_ <= best + 1 + clf.n_iter_no_change + 1
    assert clf.sample_weights_.shape == (len(X),)  # validation rows included


def test_early_stopping_trains_on_while_the_validation_loss_falls():
    # 3.4% positives: the held-out accuracy sits at the majority share for
    # epochs while the model learns; the accuracy-only rule stopped there.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-4 * (X[:, 0] - 2.0)))).astype(int)
    clf = RowAttentionClassifier(early_stopping=True, n_iter_no_change=3, max_iter=60,
                                 random_state=0)
    quiet_fit(clf, X, y)
    flat = clf.validation_scores_[0]
    assert clf.validation_scores_[:5] == [flat] * 5  # longer than n_iter_no_change
    # Training went on, and kept an epoch whose held-out log-loss fell far.
    assert clf.n_iter_ > 20
    assert min(clf.validation_loss_curve_) < 0.5 * clf.validation_loss_curve_[0]
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.9


def test_early_stopping_auto_holds_out_rows_from_2000_rows():
    from skrowattn.estimators import AUTO_EARLY_STOPPING_ROWS

    X, y = make_classification(n_samples=AUTO_EARLY_STOPPING_ROWS, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    big = quiet_fit(RowAttentionClassifier(**params), X, y)
    assert len(big.validation_scores_) == len(big.validation_loss_curve_) == big.n_iter_
    assert big.sample_weights_.shape == (len(X),)
    small = quiet_fit(RowAttentionClassifier(**params), X[:-1], y[:-1])
    assert small.validation_scores_ is None and small.validation_loss_curve_ is None
    # Not in partial_fit, as MLPClassifier; an explicit True still holds out rows.
    chunked = RowAttentionClassifier(**params).partial_fit(X, y, classes=[0, 1])
    assert chunked.validation_scores_ is None
    forced = quiet_fit(RowAttentionRegressor(early_stopping=True, **params), X[:300], X[:300, 0])
    assert len(forced.validation_scores_) == forced.n_iter_


def test_loss_decreases_and_random_state_reproduces(cancer):
    X, y = cancer
    a = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    b = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    assert a.loss_curve_[-1] < a.loss_curve_[0]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.sample_weights_, b.sample_weights_)


def test_verbose_prints_one_line_per_epoch(cancer, capsys):
    quiet_fit(RowAttentionClassifier(max_iter=3, verbose=1, early_stopping=True), *cancer)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Iteration")]
    assert len(lines) == 3
    assert all("loss = " in l and "validation score = " in l and "time = " in l for l in lines)


def test_warm_start_continues(cancer):
    clf = quiet_fit(RowAttentionClassifier(warm_start=True, **FAST), *cancer)
    first = clf.model_.get_weights()
    quiet_fit(clf, *cancer)
    assert clf.n_iter_ == 60 and len(clf.loss_curve_) == 60
    assert not np.allclose(first[0], clf.model_.get_weights()[0])


def test_partial_fit(cancer):
    X, y = cancer
    clf = RowAttentionClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for _ in range(15):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 15 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.85
    reg = RowAttentionRegressor(random_state=0)
    Xr, yr = make_regression(n_samples=80, n_features=3, random_state=0)
    reg.partial_fit(Xr, yr).partial_fit(Xr, yr)
    assert reg.n_iter_ == 2


# -- learned weights and transform ------------------------------------------------------
def test_sample_weights_(fitted, cancer):
    X, _ = cancer
    w = fitted.sample_weights_
    assert isinstance(w, np.ndarray) and w.shape == (len(X),)
    assert np.all(np.isfinite(w)) and np.all(w >= 0)
    assert w.mean() == pytest.approx(1.0, abs=1e-12)
    # Same weights, same scale, same order as score_samples on the training rows.
    np.testing.assert_allclose(fitted.score_samples(X), w, rtol=1e-6)
    np.testing.assert_allclose(fitted.score_samples(X[::-1]), w[::-1], rtol=1e-6)
    assert w.std() > 0  # the weights do tell rows apart
    # Usable as sample_weight anywhere.
    from sklearn.linear_model import LogisticRegression

    LogisticRegression(max_iter=500).fit(X, cancer[1], sample_weight=w)


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


# -- the ecosystem ---------------------------------------------------------------------
def test_pipeline_grid_search_and_cross_val(cancer):
    X, y = cancer
    pipe = make_pipeline(
        StandardScaler(), RowAttentionClassifier(max_iter=20, learning_rate_init=0.01, random_state=0)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            pipe, {"rowattentionclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2, n_jobs=1
        ).fit(X, y)
        search2 = GridSearchCV(
            pipe, {"rowattentionclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2, n_jobs=2
        ).fit(X, y)
    assert search.best_score_ > 0.8
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], search2.cv_results_["mean_test_score"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        s1 = cross_val_score(RowAttentionRegressor(max_iter=10, random_state=0), X, y.astype(float), cv=2, n_jobs=1)
        s2 = cross_val_score(RowAttentionRegressor(max_iter=10, random_state=0), X, y.astype(float), cv=2, n_jobs=2)
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


def test_fits_a_dataframe_of_numbers(cancer):
    data = load_breast_cancer(as_frame=True)
    X, y = data.data.iloc[:200], data.target.iloc[:200]
    clf = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    np.testing.assert_array_equal(clf.feature_names_in_, X.columns)
    assert clf.n_features_in_ == 30
    np.testing.assert_array_equal(clf.predict(X), clf.predict(X.to_numpy()))


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
