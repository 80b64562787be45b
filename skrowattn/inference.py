"""Inference for fitted estimators: logits, attention outputs and weights.

The default backbone is a chain of Dense, Dropout and RowAttention layers; for
it, inference runs in NumPy from the trained weights. That path has no per-call
Keras overhead, holds no TensorFlow state (so it is safe from many threads), and
computes what the Keras model computes in inference mode. Other backbones go
through Keras.
"""

import numpy as np
from scipy.special import expit, softmax

from skrowattn._tensors import to_numpy

_CHUNK = 65536  # rows per block, to bound the memory of the hidden layers

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0, out=z),
    "linear": lambda z: z,
    "sigmoid": expit,
    "tanh": np.tanh,
}


class _NumpyRowAttention:
    """A RowAttention layer's inference, from its ``inference_constants``."""

    def __init__(self, layer, get):
        self.c = c = layer.inference_constants(get)
        # The batch normalization folded into the second kernel: one pass over
        # the hidden activations fewer.
        self._kernel_2 = (c["bn_scale"][:, None] * c["kernel_2"]).astype(c["kernel_2"].dtype)
        self._bias_2 = (c["bn_shift"] @ c["kernel_2"] + c["bias_2"]).astype(c["bias_2"].dtype)

    def weights(self, x):
        c = self.c
        h = x @ c["kernel_1"]
        h += c["bias_1"]
        np.maximum(h, 0, out=h)
        s = h @ self._kernel_2
        s += self._bias_2
        s = expit(s, out=s)
        logits = c["temperature"] * s.astype(np.float64).ravel()
        if c["novelty"]:
            z = (h - c["bn_mean"]) * c["bn_inv_std"]
            logits -= c["novelty"] * np.log1p(np.mean(np.square(z), axis=-1, dtype=np.float64))
        if c["inference"] == "batch":  # the original's batch softmax
            w = softmax(logits)
            return w if c["normalization"] == "sum" else w * len(w)
        w = np.exp(logits - c["log_norm"])
        return w / c["batch_size"] if c["normalization"] == "sum" else w


class NumpyPlan:
    """Forward pass of a Dense/Dropout/RowAttention chain, in NumPy."""

    def __init__(self, steps):
        self.steps = steps

    @classmethod
    def from_model(cls, model, values=None):
        """A plan for ``model``, or None when it is not such a chain.

        ``values``: the model's weights as ``model.get_weights()`` returned them
        (a snapshot taken anyway during training), instead of reading every
        variable again.
        """
        import keras

        from skrowattn.layers import RowAttention

        if values is None:
            get = to_numpy
        else:
            position = {v.path: i for i, v in enumerate(model.weights)}

            def get(variable):
                return values[position[variable.path]]

        steps, previous = [], None
        for layer in model.layers:
            if isinstance(layer, keras.layers.InputLayer):
                previous = layer.output
                continue
            try:
                if previous is not None and layer.input is not previous:
                    return None
                previous = layer.output
            except (AttributeError, ValueError):  # shared layer, or not functional
                return None
            if isinstance(layer, keras.layers.Dense):
                act = getattr(layer.activation, "__name__", None)
                if act not in _ACTIVATIONS:
                    return None
                kernel = get(layer.kernel)
                bias = get(layer.bias) if layer.use_bias else 0
                steps.append(("dense", (kernel, bias, _ACTIVATIONS[act])))
            elif isinstance(layer, keras.layers.Dropout):
                continue
            elif isinstance(layer, RowAttention):
                steps.append(("attention", _NumpyRowAttention(layer, get)))
            else:
                return None
        if model.outputs and previous is not model.outputs[0]:
            return None
        return cls(steps)

    def run(self, X, until="logits"):
        """The outputs, or with ``until="attention"`` the attention layer's
        ``(outputs, weights)``, or with ``until="weights"`` its weights alone."""
        # In place where the array is our own (each product is a new array),
        # so that a block of rows allocates once per layer; never in X.
        x = X
        for kind, step in self.steps:
            if kind == "dense":
                kernel, bias, act = step
                x = x @ kernel
                x += bias
                x = act(x)
            else:
                w = step.weights(x)
                if until == "weights":
                    return w
                scale = w[:, None].astype(x.dtype)
                if x is X:
                    x = x * scale
                else:
                    x *= scale
                if until == "attention":
                    return x, w
        return x

    def _blocks(self, X, until):
        if len(X) <= _CHUNK:
            return self.run(X, until)
        parts = [self.run(X[i:i + _CHUNK], until) for i in range(0, len(X), _CHUNK)]
        if until == "attention":
            return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
        return np.concatenate(parts)

    def logits(self, X):
        """The network's outputs (logits, or scaled values) for the rows ``X``."""
        return self._blocks(X, "logits")

    def attention(self, X):
        """The attention layer's ``(outputs, weights)`` for the rows ``X``."""
        return self._blocks(X, "attention")

    def weights(self, X):
        """The attention layer's weight of each row of ``X``, shape ``(n,)``."""
        return self._blocks(X, "weights")


class KerasPlan:
    """Inference through Keras, for any backbone holding a RowAttention."""

    def __init__(self, model):
        self.model = model
        self._probe = None

    def logits(self, X):
        """The network's outputs for the rows ``X``, in blocks of rows."""
        parts = [
            to_numpy(self.model(X[i:i + _CHUNK], training=False))
            for i in range(0, len(X), _CHUNK)
        ]
        return np.concatenate(parts) if parts else np.zeros((0,) + self.model.output_shape[1:])

    def attention(self, X):
        """The attention layer's ``(outputs, weights)`` for the rows ``X``; ValueError
        when the backbone's graph cannot be cut at the layer."""
        from skrowattn.backbone import find_row_attention
        from skrowattn.layers import input_model

        layer = find_row_attention(self.model)
        if self._probe is None:
            try:
                self._probe = input_model(self.model, layer)
            except Exception as exc:
                raise ValueError(
                    "The attention weights of a custom backbone can only be read when "
                    "the backbone is a functional or Sequential Keras model using its "
                    f"RowAttention layer once: {exc}"
                ) from exc
        outs, weights = [], []
        for i in range(0, len(X), _CHUNK):
            h = self._probe(X[i:i + _CHUNK], training=False)
            out, w = layer(h, training=False, return_attention_weights=True)
            outs.append(to_numpy(out))
            weights.append(to_numpy(w).ravel())
        return np.concatenate(outs), np.concatenate(weights)

    def weights(self, X):
        """The attention layer's weight of each row of ``X``, shape ``(n,)``."""
        return self.attention(X)[1]


def make_plan(model, values=None):
    """The fastest plan that computes ``model``'s inference-mode outputs
    (``values``: ``model.get_weights()``, when the caller has them at hand)."""
    return NumpyPlan.from_model(model, values) or KerasPlan(model)
