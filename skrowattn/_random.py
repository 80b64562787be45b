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
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    py_state = random.getstate()
    np_state = np.random.get_state()
    # keras.utils.set_random_seed without its tf.random.set_seed, which clears
    # TensorFlow's kernel caches: the next call of every compiled training loop
    # then re-creates its kernels, 0.6 s a fit on 2 cores (measured). Keras draws
    # from its own generator below, never from TensorFlow's global seed.
    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, int(seed))
    # (The attribute's name is a constant from Keras 3.12 on, a literal before.)
    name = getattr(seed_generator, "GLOBAL_SEED_GENERATOR", "global_seed_generator")
    global_state.set_global_attribute(name, None)
    random.seed(int(seed))
    np.random.seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
