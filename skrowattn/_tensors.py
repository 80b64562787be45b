"""Backend tensors and Keras variables to NumPy, without NumPy 2's warning.

``keras.ops.convert_to_numpy`` and ``Model.get_weights`` call ``np.array`` on a
TensorFlow tensor, whose ``__array__`` takes no ``copy`` argument: NumPy 2 then
raises a ``DeprecationWarning`` per variable (148 in a 20-epoch fit with a
prediction and a refit, measured), which a user would see as ours. The tensor's
own ``numpy()`` gives the same array without it.
"""

import numpy as np


def to_numpy(x):
    """``x`` (a backend tensor, a Keras variable or an array) as a NumPy array."""
    x = getattr(x, "value", x)  # a Keras variable holds a backend tensor
    numpy = getattr(x, "numpy", None)
    if numpy is not None:  # TensorFlow
        return np.asarray(numpy())
    return np.asarray(x)  # JAX arrays and NumPy arrays convert without a warning


def get_weights(model):
    """``model.get_weights()``, as a list of NumPy arrays."""
    return [to_numpy(v) for v in model.weights]


# Tables of at most this many rows train in float64 when their input is
# float64; larger ones in float32. TensorFlow's float64 steps took 2.4x the
# time of float32 steps at 200 rows a batch, 1.9x at 50 and 1.2x at 20
# (breast_cancer's network, 2 cores, measured), and the public suite's scores
# did not move (paired difference +0.0011, s.e. 0.0007, docs/benchmarks.md).
# On a few dozen rows float64 costs nothing and keeps a fit exact to
# rounding: a row of integer weight k then counts as k copies to 1e-7
# (float32's rounding, amplified by training, leaves 1e-3), as scikit-learn's
# check on 15 rows asks.
FLOAT64_MAX_ROWS = 64


def network_dtype(dtype, n_rows=0):
    """The float dtype a network computes in for ``n_rows`` training rows of
    ``dtype``: float32 for float32 input, and for float64 input of more than
    ``FLOAT64_MAX_ROWS`` rows (where float64 doubles the time of a step);
    float64 otherwise, except under JAX without x64 mode, where JAX would
    truncate every float64 array to float32 anyway, with a ``UserWarning`` for
    each (241 in one fit, measured)."""
    from skrowattn._startup import keras  # imported quietly

    dtype = np.dtype(dtype)
    if dtype != np.float64:
        return dtype.name
    if n_rows > FLOAT64_MAX_ROWS:
        return "float32"
    if keras.backend.backend() == "jax":
        import jax

        if not jax.config.read("jax_enable_x64"):
            return "float32"
    return dtype.name
