"""The displays draw what they claim: one histogram per group, the marked rows,
the loss and validation curves."""

import numpy as np
import pytest

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from skrowattn import RowAttentionClassifier, RowAttentionRegressor  # noqa: E402
from skrowattn.plotting import LossCurveDisplay, SampleWeightDisplay  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def classified():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = (X[:, 0] > 0).astype(int)
    return RowAttentionClassifier(max_iter=5, random_state=0).fit(X, y), X, y


def bar_counts(bars):
    return int(round(sum(bar.get_height() for bar in bars)))


def test_sample_weight_display_splits_by_class_and_marks_extremes(classified):
    clf, X, y = classified
    display = SampleWeightDisplay.from_estimator(clf, X, y, n_marked=3)
    assert set(display.hists_) == {"class 0", "class 1"}
    assert bar_counts(display.hists_["class 0"]) == np.sum(y == 0)
    assert bar_counts(display.hists_["class 1"]) == np.sum(y == 1)
    w = clf.sample_weights_
    np.testing.assert_array_equal(display.lowest_, np.argsort(w, kind="stable")[:3])
    assert w[display.highest_[0]] == w.max()
    lows = [seg[0][0] for seg in display.lowest_lines_.get_segments()]
    np.testing.assert_allclose(sorted(lows), np.sort(w)[:3])
    highs = [seg[0][0] for seg in display.highest_lines_.get_segments()]
    np.testing.assert_allclose(sorted(highs), np.sort(w)[-3:])
    assert display.ax_.get_xlabel() == "sample_weights_"
    assert display.figure_ is display.ax_.figure
    labels = [t.get_text() for t in display.ax_.get_legend().get_texts()]
    assert f"class 0 ({np.sum(y == 0)})" in labels and "lowest 3 rows" in labels


def test_sample_weight_display_of_new_rows_uses_score_samples(classified):
    clf, X, _ = classified
    fig, ax = plt.subplots()
    display = SampleWeightDisplay.from_estimator(clf, X[:50], weights="score_samples", ax=ax)
    assert display.ax_ is ax
    np.testing.assert_allclose(display.weights, clf.score_samples(X[:50]))
    assert list(display.hists_) == ["all rows"]
    assert bar_counts(display.hists_["all rows"]) == 50


def test_sample_weight_display_splits_a_regressor_by_residual():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=100)
    reg = RowAttentionRegressor(max_iter=5, random_state=0).fit(X, y)
    display = SampleWeightDisplay.from_estimator(reg, X, y)
    residual = np.abs(y - reg.predict(X))
    large = np.sum(residual > np.median(residual))
    assert bar_counts(display.hists_["large residual (above median)"]) == large
    assert bar_counts(display.hists_["small residual (median or below)"]) == 100 - large


def test_sample_weight_display_rejects_bad_requests(classified):
    clf, X, y = classified
    with pytest.raises(ValueError, match="training rows"):
        SampleWeightDisplay.from_estimator(clf, X[:10], y[:10])
    with pytest.raises(ValueError, match="needs the rows X"):
        SampleWeightDisplay.from_estimator(clf, weights="score_samples")
    with pytest.raises(ValueError, match="weights must be"):
        SampleWeightDisplay.from_estimator(clf, weights="attention")


def test_loss_curve_display_draws_loss_and_validation():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3))
    y = (X[:, 1] > 0).astype(int)
    clf = RowAttentionClassifier(max_iter=6, early_stopping=True, random_state=0).fit(X, y)
    display = LossCurveDisplay.from_estimator(clf)
    np.testing.assert_allclose(display.line_.get_ydata(), clf.loss_curve_)
    np.testing.assert_array_equal(display.line_.get_xdata(), np.arange(1, clf.n_iter_ + 1))
    np.testing.assert_allclose(display.validation_line_.get_ydata(), clf.validation_scores_)
    best = int(np.argmin(clf.validation_loss_curve_))  # the kept epoch
    assert display.best_marker_.get_xdata()[0] == best + 1
    assert display.validation_ax_.get_ylabel() == "validation score"


def test_loss_curve_display_without_validation(classified):
    clf = classified[0]
    display = LossCurveDisplay.from_estimator(clf)
    assert display.validation_line_ is None and display.validation_ax_ is None
    assert len(display.line_.get_ydata()) == clf.n_iter_
