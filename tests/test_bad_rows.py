"""What the weights find: learned row scores for wrong labels, the novelty term
for rows far from the training data; neither changes the predictions."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

from _helpers import quiet_fit
from skrowattn import RowAttentionClassifier, RowAttentionRegressor


@pytest.fixture(scope="module")
def flipped():
    """breast_cancer with the labels of 10% of the rows flipped."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    bad = np.zeros(len(y), bool)
    bad[rng.choice(len(y), len(y) // 10, replace=False)] = True
    return X, np.where(bad, 1 - y, y), bad


def test_row_scores_mark_flipped_labels_without_changing_predictions(flipped):
    X, y, bad = flipped
    plain = quiet_fit(RowAttentionClassifier(row_score_rate=0.0, random_state=0), X, y)
    clf = quiet_fit(RowAttentionClassifier(random_state=0), X, y)  # row scores: the default
    found = roc_auc_score(bad, -clf.sample_weights_)
    # Measured 0.960 here, against 0.628 without the row scores (0.988 and
    # 0.916 at the previous defaults, 200 epochs at a constant rate: the
    # scores take one step an epoch, and now have 50).
    assert found >= 0.95
    assert found > roc_auc_score(bad, -plain.sample_weights_) + 0.03
    assert clf.sample_weights_.mean() == pytest.approx(1.0)
    # The scores do not act on the network: the same model, the same predictions.
    np.testing.assert_array_equal(clf.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(clf.score_samples(X), plain.score_samples(X))


def test_without_row_scores_the_weights_are_what_the_features_give(cancer):
    X, y = cancer
    clf = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(16,), max_iter=20,
                                           row_score_rate=0.0, random_state=0), X, y)
    expected = clf.score_samples(X)
    np.testing.assert_allclose(clf.sample_weights_, expected / expected.mean(), rtol=1e-6)


def test_row_scores_only_lower_weights_and_start_afresh_each_fit(flipped):
    X, y, _ = flipped
    clf = quiet_fit(RowAttentionClassifier(random_state=0), X, y)
    scores = np.log(clf.sample_weights_) - np.log(clf.score_samples(X))
    # log(weight / feature weight) = row score + a constant: the top is 0.
    top = scores.max()
    assert np.all(scores - top <= 1e-9)
    first = clf.sample_weights_.copy()
    quiet_fit(clf, X, y)
    np.testing.assert_allclose(clf.sample_weights_, first, rtol=1e-5)


def test_novelty_flags_far_rows_in_training_and_new_rows_without_changing_predictions():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(1)
    train, new = np.arange(400), np.arange(400, len(y))
    X_train, X_new = X[train].copy(), X[new].copy()
    bad = rng.random(len(train)) < 0.1
    X_train[bad] *= 5.0
    bad_new = rng.random(len(new)) < 0.1
    X_new[bad_new] *= 5.0
    found = {}
    for novelty in (0.0, 3.0, 10.0):  # off, the default, strong
        clf = quiet_fit(RowAttentionClassifier(novelty=novelty, max_iter=60, random_state=0),
                        X_train, y[train])
        found[novelty] = (clf, roc_auc_score(bad, -clf.sample_weights_),
                          roc_auc_score(bad_new, -clf.score_samples(X_new)))
    plain, default, strong = (found[c][0] for c in (0.0, 3.0, 10.0))
    # Measured (training rows, new rows): 0.42 and 0.08 without the term, 0.96
    # and 0.97 at the default, 0.98 and 0.98 with novelty=10 (TensorFlow).
    assert found[0.0][1] < 0.7 and found[0.0][2] < 0.7
    assert found[3.0][1] >= 0.93 and found[3.0][2] >= 0.93
    assert found[10.0][1] >= 0.95 and found[10.0][2] >= 0.95
    # The term marks rows; the network and its predictions are the same.
    for clf in (default, strong):
        np.testing.assert_array_equal(clf.predict_proba(X_new), plain.predict_proba(X_new))
        np.testing.assert_array_equal(clf.transform(X_new), plain.transform(X_new))
    # The weights are those of the fit, whatever set_params does after it.
    weights = strong.score_samples(X_new)
    np.testing.assert_array_equal(strong.set_params(novelty=0.0).score_samples(X_new), weights)


@pytest.mark.parametrize("Estimator", [RowAttentionClassifier, RowAttentionRegressor])
def test_sample_weight_equivalence_with_row_scores_and_novelty(Estimator):
    # scikit-learn's check: weight k counts as k copies of the row, row scores included.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_sample_weight_equivalence_on_dense_data(
            Estimator.__name__, Estimator(novelty=1.0))


def test_partial_fit_and_early_stopping_with_row_scores(flipped):
    X, y, _ = flipped
    clf = RowAttentionClassifier(max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.partial_fit(X[:300], y[:300], classes=[0, 1]).partial_fit(X[300:], y[300:])
    assert clf.sample_weights_.shape == (len(X) - 300,)

def test_rows_held_out_for_early_stopping_get_scores_too(flipped):
    X, y, bad = flipped
    # The row scores alone (novelty=0): the default novelty term also lowers
    # unusual clean rows (AUROC 0.900 here against 0.983).
    clf = quiet_fit(RowAttentionClassifier(early_stopping=True, novelty=0.0, random_state=0),
                    X, y)
    before = clf.model_.get_weights()
    scores = np.log(clf.sample_weights_) - np.log(clf.score_samples(X))
    scores -= scores.max()
    # A tenth of the rows is held out, so about a tenth of the flipped rows:
    # measured, 0.982 of the flipped rows get a score below -0.1 (AUROC 0.983).
    assert np.mean(scores[bad] < -0.1) >= 0.95
    assert roc_auc_score(bad, -clf.sample_weights_) >= 0.95
    # Scoring the held-out rows left the network as it was trained.
    for a, b in zip(before, clf.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
