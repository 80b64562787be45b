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


def network_dtype(dtype):
    """The float dtype a network computes in for input of ``dtype``: the input's,
    as scikit-learn's MLP keeps it, except float64 under JAX without x64 mode,
    where JAX would truncate every float64 array to float32 anyway, with a
    ``UserWarning`` for each (241 in one fit, measured)."""
    from skrowattn._startup import keras  # imported quietly

    dtype = np.dtype(dtype)
    if dtype == np.float64 and keras.backend.backend() == "jax":
        import jax

        if not jax.config.read("jax_enable_x64"):
            return "float32"
    return dtype.name
