"""Pickling support: the Keras model travels as the bytes of a ``.keras`` file.

A pickle records the skrowattn version that wrote it; loading it under another
version warns with ``InconsistentVersionWarning``, as scikit-learn does for
its own estimators.
"""

import os
import tempfile
import warnings


class InconsistentVersionWarning(UserWarning):
    """A fitted estimator saved by another version of skrowattn is being loaded.

    Attributes
    ----------
    estimator_name : str
    current_version : str
    original_version : str
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to load {self.estimator_name} saved by skrowattn "
            f"{self.original_version} with skrowattn {self.current_version}. This might "
            "lead to breaking code or invalid results; refit with this version to be sure."
        )


_NUMPY2_COPY = r"__array__ implementation doesn't accept a copy keyword"


def model_to_bytes(model):
    """The bytes of ``model`` saved as a ``.keras`` file."""
    from skrowattn import _startup  # Keras, imported quietly
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with warnings.catch_warnings():
            # Keras' saver converts each TensorFlow variable with np.array, which
            # NumPy 2 flags once per variable; nothing the user can act on.
            warnings.filterwarnings("ignore", _NUMPY2_COPY, DeprecationWarning)
            with _startup.no_tensorflow_import():
                keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data):
    """The model saved in ``data`` (bytes of a ``.keras`` file), uncompiled."""
    from skrowattn import _startup  # Keras, imported quietly
    import keras

    import skrowattn.layers  # noqa: F401  (registers RowAttention)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        with _startup.no_tensorflow_import():
            return keras.saving.load_model(path, compile=False)


def _version():
    from skrowattn import __version__

    return __version__


def pack_state(state):
    """The estimator's ``__dict__`` made picklable: the model as bytes, Adam's
    state as arrays (``warm_start`` and ``partial_fit`` continue with it, as
    scikit-learn's MLP pickles its optimizer), the compiled functions and caches
    dropped."""
    state = dict(state)
    state["_skrowattn_version"] = _version()
    model = state.pop("model_", None)
    trainer = state.pop("_trainer", None)
    if trainer is not None:
        state["_optimizer_state"] = trainer.optimizer_state()
    state.pop("_inference_plan", None)
    if model is not None:
        state["_model_bytes"] = model_to_bytes(model)
    return state


def unpack_state(state, estimator_name):
    """``pack_state`` undone: the model loaded again, a warning when another
    version of skrowattn saved it; the trainer is made on the next fit."""
    state = dict(state)
    saved = state.pop("_skrowattn_version", None)
    if saved is not None and saved != _version():
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=estimator_name, current_version=_version(), original_version=saved
            )
        )
    data = state.pop("_model_bytes", None)
    if data is not None:
        state["model_"] = model_from_bytes(data)
        state["_trainer"] = None
    return state
