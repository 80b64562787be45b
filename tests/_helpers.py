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
    that differ only in rounding (another block of rows, BLAS kernel or thread
    count): float64 networks (float64 tables of at most ``FLOAT64_MAX_ROWS``
    rows) agree to 1e-10; float32 ones to 1e-5, relative and absolute (an
    output of 0.02 summed from products of order 1 differed by 9.5e-7 with
    the oldest NumPy claimed, 1.23)."""
    if est._dtype == "float64":
        return dict(rtol=1e-10, atol=1e-12)
    return dict(rtol=1e-5, atol=1e-5)
