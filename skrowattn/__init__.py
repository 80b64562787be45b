"""skrowattn: row-attention neural networks as scikit-learn estimators.

Importing the package is cheap: Keras and TensorFlow load on the first fit,
load or use of :mod:`skrowattn.layers`.
"""

__version__ = "0.1.0"
__all__ = ["RowAttentionClassifier", "RowAttentionRegressor", "__version__"]


def __getattr__(name):
    # Lazy, so that `import skrowattn` does not import Keras.
    if name in ("RowAttentionClassifier", "RowAttentionRegressor"):
        from skrowattn import estimators

        return getattr(estimators, name)
    raise AttributeError(f"module 'skrowattn' has no attribute {name!r}")
