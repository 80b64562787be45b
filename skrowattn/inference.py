"""Inference for fitted estimators: logits, attention outputs and weights.

The default backbone is a chain of Dense, Dropout and RowAttention layers; for
it, inference runs in NumPy from the trained weights. That path has no per-call
Keras overhead, holds no TensorFlow state (so it is safe from many threads), and
computes what the Keras model computes in inference mode. Other backbones go
through Keras.
"""

import numpy as np
from scipy.special import expit, softmax

from skrowattn._parallel import map_blocks, row_blocks
from skrowattn._tensors import to_numpy

# Rows per block. In NumPy, blocks small enough for each layer's product to
# stay in the CPU's cache: 200,000 x 32 rows through hidden (64, 32) take 0.15 s
# in blocks of 4,096 rows against 0.24 s in blocks of 65,536. Through Keras,
# large blocks: each call has a fixed cost.
_NUMPY_CHUNK = 4096
_KERAS_CHUNK = 65536

_ACTIVATIONS = {
    "relu": lambda z: np.maximum(z, 0, out=z),
    "linear": lambda z: z,
    "sigmoid": expit,
    "tanh": np.tanh,
}


def _same(X):
    return X


def _split(n, chunk=None):
    """Slices of ``n`` rows in blocks of ``chunk``."""
    return row_blocks(n, chunk or _NUMPY_CHUNK)


def _scaled(x, scale, X, out=None):
    """``x * scale``: into ``out``, else in place unless ``x`` is the caller's ``X``."""
    if out is None and x is not X:
        out = x
    return np.multiply(x, scale, out=out)


class _NumpyRowAttention:
    """A RowAttention layer's inference, from its ``inference_constants``."""

    def __init__(self, layer, get):
        self.c = c = layer.inference_constants(get)
        # The batch normalization folded into the second kernel: one pass over
        # the hidden activations fewer.
        self._kernel_2 = (c["bn_scale"][:, None] * c["kernel_2"]).astype(c["kernel_2"].dtype)
        self._bias_2 = (c["bn_shift"] @ c["kernel_2"] + c["bias_2"]).astype(c["bias_2"].dtype)

    def weights(self, x, novelty=0.0):
        """The rows' weights; ``novelty``: a novelty term's strength on top of the
        layer's own, for weights that mark rows without acting on them."""
        c = self.c
        h = x @ c["kernel_1"]
        h += c["bias_1"]
        np.maximum(h, 0, out=h)
        s = h @ self._kernel_2
        s += self._bias_2
        s = expit(s, out=s)
        logits = c["temperature"] * s.astype(np.float64).ravel()
        strength = c["novelty"] + novelty
        if strength:
            z = x - c["input_mean"]
            z *= c["input_inv_std"]
            # einsum: the squares summed without a temporary of them (a block
            # of 4,096 x 200: 0.45 ms against 0.81 with np.mean of np.square).
            d2 = np.einsum("ij,ij->i", z, z).astype(np.float64) / z.shape[1]
            logits -= strength * np.log1p(d2)
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

    def run(self, X, until="logits", out=None, novelty=0.0):
        """The outputs, or with ``until="attention"`` the attention layer's
        ``(outputs, weights)`` (``out``: where to write the outputs), or with
        ``until="weights"`` its weights alone (with a ``novelty`` term of that
        strength on top of the layer's)."""
        # In place where the array is our own (each product is a new array),
        # so that a block of rows allocates once per layer; never in X.
        x, scale = X, None  # scale: attention weights not yet applied to x
        for kind, step in self.steps:
            if kind == "dense":
                kernel, bias, act = step
                if scale is not None and kernel.shape[1] > kernel.shape[0]:
                    x, scale = _scaled(x, scale, X), None
                x = x @ kernel
                if scale is not None:
                    # (w * x) @ K == w * (x @ K), and the product is the narrower
                    x *= scale
                    scale = None
                x += bias
                x = act(x)
            else:
                if scale is not None:
                    x, scale = _scaled(x, scale, X), None
                if until == "weights":
                    return step.weights(x, novelty)
                w = step.weights(x)
                scale = w[:, None].astype(x.dtype)
                if until == "attention":
                    return _scaled(x, scale, X, out), w
        return x if scale is None else _scaled(x, scale, X)

    def _blocks(self, X, until, prepare, novelty=0.0, dtype=None):
        if len(X) <= _NUMPY_CHUNK:  # (the one-row path: nothing more to call)
            result = self.run(prepare(X), until, novelty=novelty)
            if until == "attention" and dtype is not None:
                return result[0].astype(dtype, copy=False), result[1]
            return result
        bounds = _split(len(X))
        if until == "attention":
            # Each block's outputs written where they belong, in the dtype
            # asked for: no copy of them all.
            first = self.run(prepare(X[bounds[0]]), until)
            out = np.empty((len(X), first[0].shape[1]), dtype or first[0].dtype)
            weights = np.empty(len(X), first[1].dtype)
            out[bounds[0]], weights[bounds[0]] = first

            def work(rows):
                weights[rows] = self.run(prepare(X[rows]), until, out[rows])[1]

            map_blocks(work, bounds[1:])
            return out, weights
        return np.concatenate(map_blocks(
            lambda rows: self.run(prepare(X[rows]), until, novelty=novelty), bounds))

    def logits(self, X, prepare=_same):
        """The network's outputs (logits, or scaled values) for the rows ``X``
        (``prepare``: what turns a block of ``X``'s rows into network inputs,
        applied block by block, so that the prepared rows are still in cache)."""
        return self._blocks(X, "logits", prepare)

    def attention(self, X, prepare=_same, dtype=None):
        """The attention layer's ``(outputs, weights)`` for the rows ``X``
        (``dtype``: the outputs', the network's when None)."""
        return self._blocks(X, "attention", prepare, dtype=dtype)

    def weights(self, X, prepare=_same, novelty=0.0):
        """The attention layer's weight of each row of ``X``, shape ``(n,)``, with a
        novelty term of strength ``novelty`` on top of the layer's own."""
        return self._blocks(X, "weights", prepare, novelty)


class KerasPlan:
    """Inference through Keras, for any backbone holding a RowAttention."""

    def __init__(self, model):
        self.model = model
        self._probe = None

    def logits(self, X, prepare=_same):
        """The network's outputs for the rows ``X``, in blocks of rows."""
        parts = [to_numpy(self.model(prepare(X[rows]), training=False))
                 for rows in _split(len(X), _KERAS_CHUNK)]
        return np.concatenate(parts) if parts else np.zeros((0,) + self.model.output_shape[1:])

    def _attention_inputs(self, X, prepare):
        """The RowAttention layer, and its inputs for each block of ``X``'s rows;
        ValueError when the backbone's graph cannot be cut at the layer."""
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
        return layer, (self._probe(prepare(X[rows]), training=False)
                       for rows in _split(len(X), _KERAS_CHUNK))

    def attention(self, X, prepare=_same, dtype=None):
        """The attention layer's ``(outputs, weights)`` for the rows ``X``
        (``dtype``: the outputs', the network's when None)."""
        layer, inputs = self._attention_inputs(X, prepare)
        outs, weights = [], []
        for h in inputs:
            out, w = layer(h, training=False, return_attention_weights=True)
            outs.append(to_numpy(out))
            weights.append(to_numpy(w).ravel())
        out = np.concatenate(outs)
        return out.astype(dtype or out.dtype, copy=False), np.concatenate(weights)

    def weights(self, X, prepare=_same, novelty=0.0):
        """The attention layer's weight of each row of ``X``, shape ``(n,)``, with a
        novelty term of strength ``novelty`` on top of the layer's own."""
        layer, inputs = self._attention_inputs(X, prepare)
        weights = []
        for h in inputs:
            w = to_numpy(layer(h, training=False, return_attention_weights=True)[1]).ravel()
            if novelty:
                w = w * np.exp(-novelty * to_numpy(layer.distance(h)).astype(w.dtype))
            weights.append(w)
        return np.concatenate(weights)


def make_plan(model, values=None):
    """The fastest plan that computes ``model``'s inference-mode outputs
    (``values``: ``model.get_weights()``, when the caller has them at hand)."""
    return NumpyPlan.from_model(model, values) or KerasPlan(model)
