"""Plots of what a fitted estimator learned, in scikit-learn's Display style.

``SampleWeightDisplay`` shows the distribution of the learned row weights, split
by class or by residual size, with the lowest- and highest-weighted rows marked;
``LossCurveDisplay`` shows the training loss per epoch and, with early stopping,
the validation score. Both need matplotlib (the ``plot`` extra).
"""

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

__all__ = ["SampleWeightDisplay", "LossCurveDisplay"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


class SampleWeightDisplay:
    """Distribution of row weights: which rows the attention trusts.

    Build it with ``from_estimator``; the constructor takes computed values.

    Parameters
    ----------
    weights : ndarray of shape (n_samples,)
        The weights, on the scale of ``sample_weights_`` (training rows average 1).
    groups : ndarray of shape (n_samples,) or None, default=None
        A group label per row (a class, or a residual band); one histogram per group.
    n_marked : int, default=5
        How many of the lowest and of the highest weighted rows to mark.
    estimator_name : str or None, default=None
        Shown in the title.

    Attributes
    ----------
    lowest_ : ndarray of int
        Positions of the ``n_marked`` lowest weights, lowest first.
    highest_ : ndarray of int
        Positions of the ``n_marked`` highest weights, highest first.
    hists_ : dict
        Group label -> the histogram's bar container.
    lowest_lines_, highest_lines_ : matplotlib LineCollection
        The marks of the lowest and highest rows.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from skrowattn import RowAttentionClassifier
    >>> from skrowattn.plotting import SampleWeightDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = RowAttentionClassifier(max_iter=20, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> display = SampleWeightDisplay.from_estimator(clf, X, y)  # doctest: +SKIP
    >>> sorted(display.hists_)  # doctest: +SKIP
    ['class 0', 'class 1', 'class 2']
    """

    def __init__(self, weights, *, groups=None, n_marked=5, estimator_name=None):
        self.weights = np.asarray(weights, dtype=float)
        self.groups = None if groups is None else np.asarray(groups)
        self.n_marked = n_marked
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X=None, y=None, *, weights="sample_weights_",
                       n_marked=5, bins=30, ax=None):
        """Plot the row weights of a fitted RowAttention estimator.

        Parameters
        ----------
        estimator : fitted RowAttentionClassifier or RowAttentionRegressor
        X : array-like of shape (n_samples, n_features) or None, default=None
            With ``weights="sample_weights_"``: the training rows, needed only to
            split a regressor's weights by residual size. With
            ``weights="score_samples"``: the rows to weigh.
        y : array-like of shape (n_samples,) or None, default=None
            Targets of those rows: split by class (classifier) or by the size of
            the residual ``|y - predict(X)|`` (regressor, below or above its median).
        weights : {"sample_weights_", "score_samples"}, default="sample_weights_"
            The learned weights of the training rows, or ``score_samples(X)``.
        n_marked : int, default=5
        bins : int or str, default=30
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        display : SampleWeightDisplay
        """
        check_is_fitted(estimator)
        if weights == "sample_weights_":
            values = estimator.sample_weights_
        elif weights == "score_samples":
            if X is None:
                raise ValueError('weights="score_samples" needs the rows X to weigh.')
            values = estimator.score_samples(X)
        else:
            raise ValueError(
                f'weights must be "sample_weights_" or "score_samples"; got {weights!r}.'
            )
        groups = None
        if y is not None:
            y = np.asarray(y)
            if len(y) != len(values):
                raise ValueError(
                    f"y has {len(y)} rows but there are {len(values)} weights; with "
                    'weights="sample_weights_", pass the training rows.'
                )
            if is_classifier(estimator):
                if y.ndim != 1:
                    raise ValueError("Splitting by class needs a 1-D y (not multilabel).")
                groups = np.asarray([f"class {label}" for label in y], dtype=object)
            else:
                if X is None:
                    raise ValueError("Splitting a regressor's weights by residual needs X.")
                residual = np.abs(y.reshape(len(y), -1) - np.asarray(estimator.predict(X))
                                  .reshape(len(y), -1)).mean(axis=1)
                large = residual > np.median(residual)
                groups = np.where(large, "large residual (above median)",
                                  "small residual (median or below)").astype(object)
        display = cls(values, groups=groups, n_marked=n_marked,
                      estimator_name=type(estimator).__name__)
        return display.plot(ax=ax, bins=bins, weights_name=weights)

    def plot(self, ax=None, *, bins=30, weights_name="sample_weights_"):
        """Draw the histograms and the marks.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
        bins : int or str, default=30
        weights_name : str, default="sample_weights_"
            The x-axis label.

        Returns
        -------
        display : SampleWeightDisplay
        """
        ax = _axes(ax)
        w = self.weights
        edges = np.histogram_bin_edges(w[np.isfinite(w)], bins=bins)
        self.hists_ = {}
        labels = [None] if self.groups is None else sorted(set(self.groups), key=str)
        for label in labels:
            part = w if label is None else w[self.groups == label]
            name = "all rows" if label is None else str(label)
            _, _, bars = ax.hist(part, bins=edges, alpha=0.6 if len(labels) > 1 else 0.9,
                                 label=f"{name} ({len(part)})")
            self.hists_[name] = bars
        order = np.argsort(w, kind="stable")
        k = min(self.n_marked, len(w))
        self.lowest_ = order[:k]
        self.highest_ = order[::-1][:k]
        top = ax.get_ylim()[1]
        self.lowest_lines_ = ax.vlines(w[self.lowest_], 0, top, colors="tab:red",
                                       linestyles="dashed", label=f"lowest {k} rows")
        self.highest_lines_ = ax.vlines(w[self.highest_], 0, top, colors="tab:green",
                                        linestyles="dotted", label=f"highest {k} rows")
        ax.set_xlabel(weights_name)
        ax.set_ylabel("rows")
        title = "Row weights"
        if self.estimator_name:
            title += f" of {self.estimator_name}"
        ax.set_title(title)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self


class LossCurveDisplay:
    """Training loss per epoch, and the validation score with early stopping.

    Parameters
    ----------
    loss_curve : sequence of float
        ``loss_curve_`` of a fitted estimator.
    validation_scores : sequence of float or None, default=None
        ``validation_scores_`` (early stopping), drawn on a second y-axis.
    best_epoch : int or None, default=None
        The epoch (from 1) whose weights the model keeps, marked on the
        validation curve; ``None``: the epoch of the highest validation score.
    estimator_name : str or None, default=None

    Attributes
    ----------
    line_ : matplotlib Line2D
        The loss curve.
    validation_line_ : matplotlib Line2D or None
        The validation score curve.
    best_marker_ : matplotlib Line2D or None
        The kept epoch (``best_epoch``) on the validation curve.
    ax_ : matplotlib Axes
    validation_ax_ : matplotlib Axes or None
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skrowattn.plotting import LossCurveDisplay
    >>> display = LossCurveDisplay([0.9, 0.5, 0.4]).plot()
    >>> list(display.line_.get_ydata())
    [0.9, 0.5, 0.4]
    """

    def __init__(self, loss_curve, validation_scores=None, *, best_epoch=None,
                 estimator_name=None):
        self.loss_curve = list(loss_curve)
        self.validation_scores = None if validation_scores is None else list(validation_scores)
        self.best_epoch = best_epoch
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Plot ``loss_curve_`` (and ``validation_scores_``) of a fitted estimator.

        Parameters
        ----------
        estimator : fitted RowAttentionClassifier or RowAttentionRegressor
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        display : LossCurveDisplay
        """
        check_is_fitted(estimator)
        # The estimators keep the epoch of the lowest validation loss.
        losses = getattr(estimator, "validation_loss_curve_", None)
        best_epoch = int(np.argmin(losses)) + 1 if losses else None
        return cls(estimator.loss_curve_, getattr(estimator, "validation_scores_", None),
                   best_epoch=best_epoch, estimator_name=type(estimator).__name__).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None

        Returns
        -------
        display : LossCurveDisplay
        """
        ax = _axes(ax)
        epochs = np.arange(1, len(self.loss_curve) + 1)
        (self.line_,) = ax.plot(epochs, self.loss_curve, color="tab:blue", label="training loss")
        ax.set_xlabel("epoch")
        ax.set_ylabel("training loss")
        self.validation_line_ = self.best_marker_ = self.validation_ax_ = None
        handles = [self.line_]
        if self.validation_scores:
            vax = ax.twinx()
            scores = self.validation_scores
            (self.validation_line_,) = vax.plot(epochs[:len(scores)], scores, color="tab:orange",
                                                label="validation score")
            best = int(np.argmax(scores)) if self.best_epoch is None else self.best_epoch - 1
            (self.best_marker_,) = vax.plot([best + 1], [scores[best]], "o", color="tab:orange",
                                            label=f"best (epoch {best + 1}, kept)")
            vax.set_ylabel("validation score")
            self.validation_ax_ = vax
            handles += [self.validation_line_, self.best_marker_]
        ax.legend(handles=handles, loc="best")
        title = "Training"
        if self.estimator_name:
            title += f" of {self.estimator_name}"
        ax.set_title(title)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
