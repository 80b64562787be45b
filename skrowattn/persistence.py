"""Pickling support: the Keras model travels as the bytes of a ``.keras`` file."""

import os
import tempfile


def model_to_bytes(model):
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def model_from_bytes(data):
    import keras

    import skrowattn.layers  # noqa: F401  (registers RowAttention)

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        return keras.saving.load_model(path, compile=False)


def pack_state(state):
    """The estimator's ``__dict__`` made picklable: the model as bytes, the
    trainer (optimizer state, compiled functions) and caches dropped."""
    state = dict(state)
    model = state.pop("model_", None)
    state.pop("_trainer", None)
    state.pop("_inference_plan", None)
    if model is not None:
        state["_model_bytes"] = model_to_bytes(model)
    return state


def unpack_state(state):
    state = dict(state)
    data = state.pop("_model_bytes", None)
    if data is not None:
        state["model_"] = model_from_bytes(data)
        state["_trainer"] = None
    return state
