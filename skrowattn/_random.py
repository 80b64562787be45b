"""Seeding Keras for one fit without disturbing the user's global random state."""

import contextlib
import random

import numpy as np


@contextlib.contextmanager
def seeded(seed):
    """Seed Keras (and the backend) with ``seed`` inside the block.

    Keras draws initial weights and shuffles from the global generators of
    Python, NumPy and the backend; their state is put back afterwards so that
    fitting an estimator does not change the random numbers the caller draws.
    """
    import keras

    py_state = random.getstate()
    np_state = np.random.get_state()
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
