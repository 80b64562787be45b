"""The ``RowAttention`` Keras layer.

A drop-in replacement for kerasfactory's ``RowAttention``: the same constructor
and the same training-time math, plus an inference path in which a row's output
depends on that row alone, saving and loading, and every Keras 3 backend.
"""

import math

from skrowattn import _startup  # noqa: F401  (Keras, imported quietly)
import keras
from keras import layers, ops

__all__ = ["RowAttention"]

_NORMALIZATIONS = ("sum", "mean")
_INFERENCE_MODES = ("running", "batch")


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}.")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}.")


@keras.saving.register_keras_serializable(package="skrowattn")
class RowAttention(layers.Layer):
    """Row attention: weight every row (sample) of a batch by a learned score.

    A small network, ``attention_net`` (``Dense(hidden_dim, relu)`` ->
    ``BatchNormalization`` -> ``Dense(1, sigmoid)``), scores each row; the scores
    times ``temperature`` go through a softmax over the batch, and each row is
    multiplied by its weight. With the defaults the training-time output is the
    original layer's ``x * softmax(5.0 * s)``.

    In inference mode (``training=False``, e.g. ``model.predict``) and with
    ``inference="running"``, the softmax denominator is replaced by statistics
    accumulated during training, the way ``BatchNormalization`` keeps moving
    statistics, so a row's output depends on that row alone and not on the rows
    it happens to be predicted with.

    Parameters
    ----------
    feature_dim : int
        Number of input features; the input must have shape ``(batch, feature_dim)``.
    hidden_dim : int or None, default=None
        Width of the hidden layer of ``attention_net``; ``None`` means
        ``max(feature_dim // 2, 1)``.
    temperature : float, default=5.0
        Scale of the scores inside the softmax (the original's fixed 5.0). Higher
        values make the weights more contrasted.
    normalization : {"sum", "mean"}, default="sum"
        ``"sum"``: the weights sum to 1 over the batch (the original), so every row
        leaves the layer about ``batch_size`` times smaller than it came in.
        ``"mean"``: the weights average 1, so the activation scale does not depend
        on the batch size.
    inference : {"running", "batch"}, default="running"
        ``"running"``: in inference mode each row is normalised by the running
        statistics, so predictions do not depend on the batch. ``"batch"``: the
        original's batch-dependent inference, reproduced exactly.
    momentum : float or None, default=None
        Momentum of the moving statistics, both of the running softmax normaliser
        and of the ``BatchNormalization`` inside ``attention_net``. ``None`` means
        0.9 with ``inference="running"``, whose averages are also bias-corrected
        (PyTorch's batch-norm default; the scores drift while the network learns
        and a shorter memory follows them), and 0.99 with ``inference="batch"``,
        the original's ``BatchNormalization`` updated exactly as the original.
    **kwargs
        Standard Keras layer arguments (``name``, ``dtype``, ...).

    Attributes
    ----------
    attention_net : keras.Sequential
        Maps ``(n, feature_dim)`` to per-row scores in ``(0, 1)`` of shape ``(n, 1)``.
    moving_log_norm : keras.Variable
        Log of the running mean of ``exp(temperature * score)`` over training rows.
    moving_batch_size : keras.Variable
        Running mean of the (weighted) training batch size, for ``"sum"``.

    Examples
    --------
    >>> import numpy as np
    >>> from skrowattn.layers import RowAttention
    >>> x = np.random.default_rng(0).normal(size=(32, 10)).astype("float32")
    >>> layer = RowAttention(feature_dim=10)
    >>> out, w = layer(x, training=True, return_attention_weights=True)
    >>> tuple(out.shape), tuple(w.shape)
    ((32, 10), (32, 1))
    >>> round(float(np.sum(w)), 4)  # "sum" normalization: weights sum to 1
    1.0
    """

    def __init__(
        self,
        feature_dim,
        hidden_dim=None,
        *,
        temperature=5.0,
        normalization="sum",
        inference="running",
        momentum=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _check_positive_int("feature_dim", feature_dim)
        if hidden_dim is not None:
            _check_positive_int("hidden_dim", hidden_dim)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number > 0; got {temperature!r}.")
        if not (math.isfinite(temperature) and temperature > 0):
            raise ValueError(f"temperature must be a number > 0; got {temperature!r}.")
        _check_choice("normalization", normalization, _NORMALIZATIONS)
        _check_choice("inference", inference, _INFERENCE_MODES)
        if momentum is None:
            momentum = 0.99 if inference == "batch" else 0.9
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)):
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}.")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}.")

        self.feature_dim = feature_dim
        self.hidden_dim = hidden_dim or max(feature_dim // 2, 1)
        self.temperature = float(temperature)
        self.normalization = normalization
        self.inference = inference
        self.momentum = float(momentum)
        # A model that holds this layer can pass `sample_weight` down to it
        # through Keras' call context, without threading it through every layer.
        self._register_call_context_args("sample_weight")

        self.attention_net = keras.Sequential(
            [
                layers.Dense(self.hidden_dim, activation="relu", dtype=self.dtype_policy),
                layers.BatchNormalization(momentum=self.momentum, dtype=self.dtype_policy),
                layers.Dense(1, activation="sigmoid", dtype=self.dtype_policy),
            ],
            name="attention_net",
        )

    # -- shape checks --------------------------------------------------------
    def _check_shape(self, shape):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                f"RowAttention expects 2-D input (batch, feature_dim={self.feature_dim}); "
                f"got rank {len(shape)} with shape {shape}."
            )
        if shape[-1] is not None and shape[-1] != self.feature_dim:
            raise ValueError(
                f"RowAttention was built for feature_dim={self.feature_dim} features "
                f"but got input with {shape[-1]} features (shape {shape})."
            )

    def build(self, input_shape):
        self._check_shape(input_shape)
        self.attention_net.build((None, self.feature_dim))
        # The statistics are kept in float32 or wider, whatever the compute dtype.
        stat_dtype = keras.backend.result_type(self.variable_dtype, "float32")
        self.moving_log_norm = self.add_weight(
            shape=(),
            name="moving_log_norm",
            # An untrained layer treats every score as the sigmoid's midpoint.
            initializer=keras.initializers.Constant(0.5 * self.temperature),
            trainable=False,
            dtype=stat_dtype,
        )
        self.moving_batch_size = self.add_weight(
            shape=(),
            name="moving_batch_size",
            initializer="ones",
            trainable=False,
            dtype=stat_dtype,
        )
        # Number of training updates, for the bias-corrected running averages.
        self.num_updates = self.add_weight(
            shape=(),
            name="num_updates",
            initializer="zeros",
            trainable=False,
            dtype=stat_dtype,
        )

    # -- forward -------------------------------------------------------------
    def _alpha(self):
        """Weight of the current batch in the moving averages.

        With ``inference="running"``: ``(1 - m) / (1 - m**(t + 1))`` after ``t``
        updates, 1 on the first update and tending to ``1 - m``, so that a short
        training run is not dominated by the initial state. With ``"batch"``: the
        plain ``1 - m`` of the original's ``BatchNormalization``.
        """
        if self.inference == "batch":
            return ops.convert_to_tensor(1.0 - self.momentum, self.num_updates.dtype)
        t = self.num_updates
        return (1.0 - self.momentum) / (1.0 - ops.power(self.momentum, t + 1.0))

    def _scores(self, inputs, training, sample_weight):
        """Per-row scores of ``attention_net``, shape ``(n, 1)``."""
        dense_in, bn, dense_out = self.attention_net.layers
        if not training or not bn.trainable:
            return self.attention_net(inputs, training=training)
        # Training: the batch moments are computed here rather than inside
        # BatchNormalization, because it only takes a binary mask (a row of weight
        # k must count k times) and keeps a biased moving average.
        h = dense_in(inputs)
        dtype = keras.backend.result_type(h.dtype, "float32")
        h = ops.cast(h, dtype)
        if sample_weight is None:
            mean, variance = ops.moments(h, axes=[0])
        else:
            w = ops.cast(ops.reshape(sample_weight, (-1, 1)), dtype)
            total = ops.sum(w)
            mean = ops.sum(w * h, axis=0) / total
            variance = ops.sum(w * ops.square(h - mean), axis=0) / total
        alpha = ops.cast(self._alpha(), dtype)
        for moving, batch in ((bn.moving_mean, mean), (bn.moving_variance, variance)):
            old = ops.cast(moving, dtype)
            moving.assign(ops.cast(old + alpha * (batch - old), moving.dtype))
        h = ops.batch_normalization(
            h,
            mean=mean,
            variance=variance,
            axis=-1,
            offset=ops.cast(bn.beta, dtype),
            scale=ops.cast(bn.gamma, dtype),
            epsilon=bn.epsilon,
        )
        return dense_out(ops.cast(h, dense_in.compute_dtype))

    def _batch_weights(self, logits, sample_weight):
        """Softmax of ``logits`` over the batch; returns (weights, log_mean, total)."""
        if sample_weight is None:
            # softmax(logits) over the batch, written out: ops.softmax warns
            # about a batch of one row.
            shift = ops.max(logits)
            e = ops.exp(logits - shift)
            denominator = ops.sum(e)
            weights = e / denominator
            total = ops.cast(ops.shape(logits)[0], logits.dtype)
            log_mean = shift + ops.log(denominator / total)
        else:
            # Row weights act as repetitions: row i counts sample_weight[i] times
            # in the denominator, and a zero-weight row not at all.
            w = ops.cast(ops.reshape(sample_weight, (-1,)), logits.dtype)
            shift = ops.max(ops.where(w > 0, logits, ops.min(logits)))
            e = ops.exp(logits - shift)
            total = ops.sum(w)
            denominator = ops.sum(w * e)
            weights = e / denominator
            log_mean = shift + ops.log(denominator / total)
        if self.normalization == "mean":
            weights = weights * total
        return weights, log_mean, total

    def _update_running(self, log_mean, total):
        # Bias-corrected exponential moving average, so that a short training run
        # is not dominated by the initial values.
        dtype = self.num_updates.dtype
        log_mean = ops.cast(log_mean, dtype)
        total = ops.cast(total, dtype)
        t = self.num_updates
        alpha = self._alpha()
        old = self.moving_log_norm
        a = ops.log1p(-alpha) + old
        b = ops.log(alpha) + log_mean
        top = ops.maximum(a, b)
        averaged = top + ops.log(ops.exp(a - top) + ops.exp(b - top))
        first = ops.equal(t, 0.0)
        self.moving_log_norm.assign(ops.where(first, log_mean, averaged))
        self.moving_batch_size.assign(
            ops.where(first, total, (1.0 - alpha) * self.moving_batch_size + alpha * total)
        )
        self.num_updates.assign(t + 1.0)

    def _running_weights(self, logits):
        weights = ops.exp(logits - ops.cast(self.moving_log_norm, logits.dtype))
        if self.normalization == "sum":
            weights = weights / ops.cast(self.moving_batch_size, logits.dtype)
        return weights

    def call(
        self,
        inputs,
        training=None,
        sample_weight=None,
        return_attention_weights=False,
    ):
        """Weight each row of ``inputs``.

        Parameters
        ----------
        inputs : tensor of shape (batch, feature_dim)
        training : bool or None
            Training mode: batch softmax, and the running statistics are updated.
        sample_weight : tensor of shape (batch,) or None
            Training only: row ``i`` counts as ``sample_weight[i]`` copies of
            itself in the batch statistics (softmax denominator and batch norm).
        return_attention_weights : bool, default=False
            Also return the weights, shape ``(batch, 1)``.
        """
        self._check_shape(inputs.shape)
        scores = self._scores(inputs, training, sample_weight)
        # The softmax is computed in float32 (or wider) even under mixed precision.
        dtype = keras.backend.result_type(scores.dtype, "float32")
        logits = self.temperature * ops.cast(ops.reshape(scores, (-1,)), dtype)
        if training or self.inference == "batch":
            weights, log_mean, total = self._batch_weights(
                logits, sample_weight if training else None
            )
            if training:
                self._update_running(log_mean, total)
        else:
            weights = self._running_weights(logits)
        weights = ops.reshape(weights, (-1, 1))
        outputs = inputs * ops.cast(weights, inputs.dtype)
        if return_attention_weights:
            return outputs, weights
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def compute_output_spec(self, inputs, return_attention_weights=False, **kwargs):
        self._check_shape(inputs.shape)
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if not return_attention_weights:
            return outputs
        weight_dtype = keras.backend.result_type(self.compute_dtype, "float32")
        return outputs, keras.KerasTensor((inputs.shape[0], 1), dtype=weight_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "feature_dim": self.feature_dim,
                "hidden_dim": self.hidden_dim,
                "temperature": self.temperature,
                "normalization": self.normalization,
                "inference": self.inference,
                "momentum": self.momentum,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
