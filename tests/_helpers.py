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


def rounding(est):
    """``assert_allclose`` tolerances for two computations of ``est``'s network
    that differ only in rounding: float64 networks (float64 tables of at most
    ``FLOAT64_MAX_ROWS`` rows) agree to 1e-10, float32 ones to 1e-6."""
    if est._dtype == "float64":
        return dict(rtol=1e-10, atol=1e-12)
    return dict(rtol=1e-5, atol=1e-7)
