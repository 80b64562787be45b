"""Keras and its backend, loaded without TensorFlow's start-up noise.

Importing this module imports Keras. On a machine without a GPU, TensorFlow's
C++ start-up prints "Could not find cuda drivers", "failed call to cuInit" and
the like to stderr, before its logging is configured, so ``TF_CPP_MIN_LOG_LEVEL``
does not reach them: a user sees alarming lines that are not errors. Unless the
user set ``TF_CPP_MIN_LOG_LEVEL`` (then TensorFlow's logging is theirs), those
known lines are filtered out of what the import and the backend's first
operation write to stderr; anything else written meanwhile is passed on.
"""

import contextlib
import os
import re
import sys
import tempfile
import threading

from skrowattn._tensors import to_numpy

__all__ = ["compilation_cache", "start_backend"]

_NOISE = re.compile(
    r"All log messages before absl::InitializeLog"
    r"|cudart_stub\.cc.*Could not find cuda drivers"
    r"|cuda_platform\.cc.*failed call to cuInit"
    r"|cuda_(diagnostics|executor)\.cc"
    r"|cpu_feature_guard\.cc|rebuild TensorFlow with the appropriate compiler flags"
    r"|oneDNN custom operations are on|TF_ENABLE_ONEDNN_OPTS"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
)


# Read before Keras loads: importing JAX (Keras does when it is installed) sets
# TF_CPP_MIN_LOG_LEVEL itself.
_USER_LOGGING = "TF_CPP_MIN_LOG_LEVEL" in os.environ


@contextlib.contextmanager
def _filtered_stderr():
    """Runs the block with file descriptor 2 captured, then writes back what
    it caught except TensorFlow's known start-up lines."""
    if _USER_LOGGING:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode(errors="replace")
            kept = "".join(line for line in text.splitlines(True) if not _NOISE.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


with _filtered_stderr():
    import keras  # noqa: E402

_started = False
_lock = threading.Lock()  # two fits starting at once must not swap file descriptors


def start_backend():
    """Runs the backend's first operation (device discovery, where TensorFlow
    tries CUDA) quietly, once per process. Called when a fit starts, not on
    import: the user may still configure TensorFlow's devices before that."""
    global _started
    if _started:
        return
    with _lock:
        if not _started:
            with _filtered_stderr():
                to_numpy(keras.ops.zeros(()))
            _started = True


# On JAX, a fit's compilations (the training loop, Keras' random initializers)
# are kept on disk in JAX's own persistent cache, so that a new process loads
# them instead of compiling: breast_cancer's first fit in a fresh process took
# 1.9 s against 3.8 s (2 cores, measured; the loop alone cached, at JAX's
# default of caching compilations of 1 s and more: 2.6 s). Only while a fit
# runs, and only when the user has configured no cache of their own, so that
# their own compilations are cached as they chose.
CACHE_DIR_VARIABLE = "SKROWATTN_JAX_CACHE_DIR"  # a directory; empty: no cache
_cache_lock = threading.Lock()
_cache_fits = 0  # fits in progress (threads) that use the cache
_cache_saved = None  # JAX's settings to restore when the last of them ends


def _cache_dir():
    path = os.environ.get(CACHE_DIR_VARIABLE)
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = os.path.join(base, "skrowattn", "jax")
    return path


@contextlib.contextmanager
def compilation_cache():
    """Runs a fit with JAX's persistent compilation cache in ``_cache_dir()``
    (see above); on other backends, or when the user set up JAX's cache (or
    turned it off), it changes nothing."""
    if keras.backend.backend() != "jax":
        yield
        return
    global _cache_fits, _cache_saved
    import jax

    with _cache_lock:
        _cache_fits += 1
        if _cache_fits == 1 and not (jax.config.jax_compilation_cache_dir
                                     or not jax.config.jax_enable_compilation_cache):
            path = _cache_dir()
            try:
                if path:
                    os.makedirs(path, exist_ok=True)
            except OSError:  # (a read-only home, say: no cache, as before)
                path = None
            if path:
                _cache_saved = {name: getattr(jax.config, name) for name in (
                    "jax_compilation_cache_dir", "jax_persistent_cache_min_compile_time_secs")}
                jax.config.update("jax_compilation_cache_dir", path)
                # Every compilation of the fit: the initializers take 0.1 s each.
                jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    try:
        yield
    finally:
        with _cache_lock:
            _cache_fits -= 1
            if _cache_fits == 0 and _cache_saved is not None:
                for name, value in _cache_saved.items():
                    jax.config.update(name, value)
                _cache_saved = None
                from jax.experimental.compilation_cache import compilation_cache as cache

                cache.reset_cache()  # the user's later compilations: not in ours


@contextlib.contextmanager
def no_tensorflow_import():
    """Runs the block without Keras importing TensorFlow on another backend.

    Keras' serializer (``get_config`` of a model, saving) asks whether
    TensorFlow is installed by importing it, to recognise a ``tf.TensorShape``:
    on JAX, the first fit and the first pickle then paid TensorFlow's whole
    import (about 6 s here) and printed its CUDA start-up lines. A network
    built for JAX holds no TensorFlow objects, so while TensorFlow is not
    loaded the serializer is told it is not there. (Keras' private
    ``module_utils``: left alone when a Keras version lays it out otherwise.)
    """
    lazy = None
    if keras.backend.backend() != "tensorflow" and "tensorflow" not in sys.modules:
        try:
            from keras.src.utils import module_utils

            lazy = module_utils.tensorflow
            if lazy._available is not None:
                lazy = None
        except (ImportError, AttributeError):
            lazy = None
    if lazy is None:
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = None
