"""Small settings and helpers shared by the estimator test modules."""

import warnings

from sklearn.exceptions import ConvergenceWarning

# A small, quick network for tests of behaviour rather than of quality.
FAST = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)


def quiet_fit(est, *args, **kwargs):
    """``est.fit`` without the ConvergenceWarning of a deliberately short fit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)
