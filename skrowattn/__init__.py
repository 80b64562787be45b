"""skrowattn: row-attention neural networks as scikit-learn estimators.

Importing the package is cheap: Keras and TensorFlow load on the first fit,
load or use of :mod:`skrowattn.layers`.
"""

import os

__version__ = "0.1.0"


def _size_thread_pools():
    """Size TensorFlow's thread pools before its runtime starts.

    ``SKROWATTN_NUM_THREADS`` sets them; otherwise ``OMP_NUM_THREADS`` does,
    which joblib's workers receive as their share of the cores, so that
    ``n_jobs=2`` on two cores runs two one-thread fits rather than two fits
    fighting over four threads. An explicit ``TF_NUM_INTRAOP_THREADS`` or
    ``TF_NUM_INTEROP_THREADS`` wins over both.
    """
    n = os.environ.get("SKROWATTN_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
    if n and n.strip().isdigit() and int(n) > 0:
        os.environ.setdefault("TF_NUM_INTRAOP_THREADS", n.strip())
        os.environ.setdefault("TF_NUM_INTEROP_THREADS", n.strip())


_size_thread_pools()
__all__ = ["RowAttentionClassifier", "RowAttentionRegressor", "__version__"]


def __getattr__(name):
    # Lazy, so that `import skrowattn` does not import Keras.
    if name in ("RowAttentionClassifier", "RowAttentionRegressor"):
        from skrowattn import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'skrowattn' has no attribute {name!r}")
