"""Shared test set-up: Keras loads once per test process, quietly."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# JAX fits keep their compilations on disk (skrowattn._startup): in a
# directory of the test run's, not the user's cache, removed when it ends.
if "SKROWATTN_JAX_CACHE_DIR" not in os.environ:
    _jax_cache = tempfile.mkdtemp(prefix="skrowattn-jax-")
    os.environ["SKROWATTN_JAX_CACHE_DIR"] = _jax_cache
    atexit.register(shutil.rmtree, _jax_cache, ignore_errors=True)

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def keras():
    import keras

    return keras


@pytest.fixture(scope="session")
def breast_cancer():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X).astype("float32"), y.astype("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def iris():
    from sklearn.datasets import load_iris

    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    """200 raw rows of breast_cancer (the estimators scale them)."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    return X[:200], y[:200]


@pytest.fixture(scope="module")
def fitted(cancer):
    """A small classifier fitted on ``cancer``, once per test module."""
    from _helpers import FAST, quiet_fit
    from skrowattn import RowAttentionClassifier

    return quiet_fit(RowAttentionClassifier(**FAST), *cancer)
