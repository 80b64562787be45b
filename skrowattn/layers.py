"""The ``RowAttention`` Keras layer.

A drop-in replacement for kerasfactory's ``RowAttention``: the same constructor
and the same training-time math, plus an inference path in which a row's output
depends on that row alone, saving and loading, and every Keras 3 backend.
"""

import math
import warnings

from skrowattn import _startup  # noqa: F401  (Keras, imported quietly)
import keras
from keras import layers, ops

__all__ = ["RowAttention", "calibrate_row_attention"]

# The name under which kerasfactory's RowAttention saves itself in .keras files.
_ORIGINAL_NAME = "kerasfactory.layers>RowAttention"

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
    seed : int or None, default=None
        Seed of the Glorot-uniform initializers of ``attention_net``'s two Dense
        layers (``seed`` and ``seed + 1``); ``None``: Keras' global generator.
    novelty : float, default=0.0
        Strength of the novelty term: a row's logit is lowered by
        ``novelty * log1p(d2)``, where ``d2`` is the mean over features of the
        row's squared standardized distance from the mean of the layer's inputs
        (``distance``; batch statistics in training, the moving ``input_mean``
        and ``input_variance`` in inference). Rows far from the training rows
        get low weights, in training and in prediction. 0 is the original's math.
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
    input_mean, input_variance : keras.Variable
        Running mean and variance of each input feature over the training rows
        (weighted by ``sample_weight``), what ``distance`` measures from.

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
        seed=None,
        novelty=0.0,
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
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"seed must be an integer or None; got {seed!r}.")
        self.seed = seed
        if isinstance(novelty, bool) or not isinstance(novelty, (int, float)) or not (
                math.isfinite(novelty) and novelty >= 0):
            raise ValueError(f"novelty must be a number >= 0; got {novelty!r}.")
        self.novelty = float(novelty)
        self._from_original = False  # loaded from a file of the original layer
        # A model that holds this layer can pass `sample_weight` and
        # `row_offset` down to it through Keras' call context, without threading
        # them through every layer.
        self._register_call_context_args("sample_weight", "row_offset")

        self.attention_net = keras.Sequential(
            [
                layers.Dense(self.hidden_dim, activation="relu", dtype=self.dtype_policy,
                             kernel_initializer=self._initializer(0)),
                layers.BatchNormalization(momentum=self.momentum, dtype=self.dtype_policy),
                layers.Dense(1, activation="sigmoid", dtype=self.dtype_policy,
                             kernel_initializer=self._initializer(1)),
            ],
            name="attention_net",
        )

    def _initializer(self, offset):
        seed = None if self.seed is None else self.seed + offset
        return keras.initializers.GlorotUniform(seed=seed)

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
        """Builds ``attention_net`` and the running statistics (not trainable)."""
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
        # The inputs' own statistics, for the distance of a row from the
        # training rows (added after the three above: older files load).
        self.input_mean = self.add_weight(
            shape=(self.feature_dim,), name="input_mean", initializer="zeros",
            trainable=False, dtype=stat_dtype)
        self.input_variance = self.add_weight(
            shape=(self.feature_dim,), name="input_variance", initializer="ones",
            trainable=False, dtype=stat_dtype)

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

    @staticmethod
    def _moments(x, sample_weight):
        """Mean and variance of each column of ``x``, a row of weight k counted k
        times. (Here rather than in BatchNormalization, which only takes a
        binary mask and keeps a biased moving average.)"""
        if sample_weight is None:
            return ops.moments(x, axes=[0])
        w = ops.cast(ops.reshape(sample_weight, (-1, 1)), x.dtype)
        total = ops.sum(w)
        mean = ops.sum(w * x, axis=0) / total
        return mean, ops.sum(w * ops.square(x - mean), axis=0) / total

    def _track(self, pairs):
        """Moves each running statistic of ``pairs`` toward its batch value."""
        alpha = self._alpha()
        for moving, batch in pairs:
            old = ops.cast(moving, batch.dtype)
            step = ops.cast(alpha, batch.dtype) * (batch - old)
            moving.assign(ops.cast(old + step, moving.dtype))

    def _scores(self, inputs, training, sample_weight):
        """Per-row scores of ``attention_net``, shape ``(n, 1)``, and the rows'
        novelty ``log1p(d2)`` (shape ``(n,)``; None when ``novelty`` is 0)."""
        dense_in, bn, dense_out = self.attention_net.layers
        h = dense_in(inputs)
        dtype = keras.backend.result_type(h.dtype, "float32")
        h = ops.cast(h, dtype)
        learning = training and bn.trainable
        # The inputs in the statistics' dtype, only where they are measured.
        x = ops.cast(inputs, dtype) if learning or self.novelty else None
        if learning:
            mean, variance = self._moments(h, sample_weight)
            x_mean, x_variance = self._moments(x, sample_weight)
            self._track(((bn.moving_mean, mean), (bn.moving_variance, variance),
                         (self.input_mean, x_mean), (self.input_variance, x_variance)))
        else:
            mean = ops.cast(bn.moving_mean, dtype)
            variance = ops.cast(bn.moving_variance, dtype)
        h = (h - mean) * ops.rsqrt(variance + bn.epsilon)
        novelty = None
        if self.novelty:
            # A distance, not a target: the network must not learn it away.
            stats = (x_mean, x_variance) if learning else None
            novelty = ops.stop_gradient(self._distance(x, stats))
        h = h * ops.cast(bn.gamma, dtype) + ops.cast(bn.beta, dtype)
        return dense_out(ops.cast(h, dense_in.compute_dtype)), novelty

    def _distance(self, x, stats=None):
        mean, variance = stats or (self.input_mean, self.input_variance)
        epsilon = self.attention_net.layers[1].epsilon
        z = (x - ops.cast(mean, x.dtype)) * ops.rsqrt(ops.cast(variance, x.dtype) + epsilon)
        return ops.log1p(ops.mean(ops.square(z), axis=-1))

    def distance(self, inputs):
        """How far each row lies from the training rows: ``log1p(mean(z**2))``,
        shape ``(n,)``, ``z`` the row's inputs standardized by the running
        ``input_mean`` and ``input_variance`` of the training rows (what the
        ``novelty`` term scales). Inference mode: nothing is updated.

        Measured in the layer's input space rather than in ``attention_net``'s
        hidden space, which the scoring network shapes for its task: feature
        outliers (numeric features times 5, 10% of the rows) got AUROC 0.98 to
        1.00 on seven tables, against 0.64 to 0.97 (``docs/sample-weights.md``)."""
        self._check_shape(inputs.shape)
        dtype = keras.backend.result_type(inputs.dtype, "float32")
        return self._distance(ops.cast(inputs, dtype))

    def _logits(self, inputs, training, sample_weight):
        """``temperature * score - novelty * log1p(d2)`` of each row, shape ``(n,)``,
        in float32 (or wider) even under mixed precision."""
        scores, novelty = self._scores(inputs, training, sample_weight)
        dtype = keras.backend.result_type(scores.dtype, "float32")
        logits = self.temperature * ops.cast(ops.reshape(scores, (-1,)), dtype)
        if novelty is not None:
            logits = logits - self.novelty * ops.cast(novelty, dtype)
        return logits

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
        row_offset=None,
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
        row_offset : tensor of shape (batch,) or None
            Training only: added to each row's logit (log-weight units), a
            learned score of each training row beyond what its features give.
            The running statistics, what new rows are weighed against, leave it out.
        return_attention_weights : bool, default=False
            Also return the weights, shape ``(batch, 1)``.
        """
        self._check_shape(inputs.shape)
        logits = self._logits(inputs, training, sample_weight)
        dtype = logits.dtype
        if training or self.inference == "batch":
            offset = row_offset if training else None
            shifted = logits if offset is None else logits + ops.cast(offset, dtype)
            weights, log_mean, total = self._batch_weights(
                shifted, sample_weight if training else None
            )
            if training:
                if offset is not None:  # the statistics of the features' part alone
                    _, log_mean, _ = self._batch_weights(logits, sample_weight)
                self._update_running(log_mean, total)
        else:
            weights = self._running_weights(logits)
        weights = ops.reshape(weights, (-1, 1))
        outputs = inputs * ops.cast(weights, inputs.dtype)
        if return_attention_weights:
            return outputs, weights
        return outputs

    def compute_output_shape(self, input_shape):
        """The input's shape: rows are scaled, not reshaped."""
        return tuple(input_shape)

    def compute_output_spec(self, inputs, return_attention_weights=False, **kwargs):
        """Output spec, and the weights' ``(batch, 1)`` with ``return_attention_weights``."""
        self._check_shape(inputs.shape)
        outputs = keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)
        if not return_attention_weights:
            return outputs
        weight_dtype = keras.backend.result_type(self.compute_dtype, "float32")
        return outputs, keras.KerasTensor((inputs.shape[0], 1), dtype=weight_dtype)

    def get_config(self):
        """The constructor arguments: the original's keys (``feature_dim``,
        ``hidden_dim``) and the options it lacks."""
        config = super().get_config()
        config.update(
            {
                "feature_dim": self.feature_dim,
                "hidden_dim": self.hidden_dim,
                "temperature": self.temperature,
                "normalization": self.normalization,
                "inference": self.inference,
                "momentum": self.momentum,
                "seed": self.seed,
                "novelty": self.novelty,
            }
        )
        return config

    def inference_constants(self, get=None):
        """The inference-mode computation as constants, for code that runs it
        outside Keras (``skrowattn.inference``'s NumPy path reads these).

        With ``running`` inference a row's weight is
        ``exp(temperature * s - log_norm) / batch_size`` (``"sum"``; without
        ``/ batch_size`` for ``"mean"``), where
        ``s = sigmoid((relu(x @ kernel_1 + bias_1) * bn_scale + bn_shift) @ kernel_2
        + bias_2)``: the batch normalization with moving statistics is an affine
        map, folded into ``bn_scale`` and ``bn_shift``. With ``novelty``, the
        logit ``temperature * s`` loses ``novelty * log1p(mean(z**2))``, where
        ``z = (x - input_mean) * input_inv_std``. With ``batch`` inference
        the weights are the softmax of ``temperature * s`` over the batch.

        Parameters
        ----------
        get : callable or None
            Reads a variable as a NumPy array (e.g. from a snapshot of the
            weights); ``None`` reads the variable's current value.

        Returns
        -------
        dict
            ``kernel_1``, ``bias_1``, ``bn_scale``, ``bn_shift``, ``input_mean``,
            ``input_inv_std``, ``kernel_2``, ``bias_2`` (arrays), ``temperature``,
            ``novelty``, ``log_norm``, ``batch_size`` (floats), ``normalization`` and ``inference`` (strings).
        """
        import numpy as np

        from skrowattn._tensors import to_numpy

        get = get or to_numpy
        dense_in, bn, dense_out = self.attention_net.layers
        inv_std = 1.0 / np.sqrt(get(bn.moving_variance) + bn.epsilon)
        scale = get(bn.gamma) * inv_std
        return {
            "kernel_1": get(dense_in.kernel),
            "bias_1": get(dense_in.bias),
            "bn_scale": scale,
            "bn_shift": get(bn.beta) - get(bn.moving_mean) * scale,
            "input_mean": get(self.input_mean),
            "input_inv_std": 1.0 / np.sqrt(get(self.input_variance) + bn.epsilon),
            "novelty": self.novelty,
            "kernel_2": get(dense_out.kernel),
            "bias_2": get(dense_out.bias),
            "temperature": self.temperature,
            "log_norm": float(get(self.moving_log_norm)),
            "batch_size": float(get(self.moving_batch_size)),
            "normalization": self.normalization,
            "inference": self.inference,
        }

    # -- the original's files -----------------------------------------------
    @classmethod
    def from_config(cls, config):
        """A layer from ``get_config``'s dict, ours or kerasfactory's (whose
        config, without ``inference``, gives the original's batch inference)."""
        config = dict(config)
        # Only kerasfactory's config lacks "inference": its layer predicts with
        # the batch softmax, reproduced exactly by inference="batch".
        original = "inference" not in config
        if original:
            config["inference"] = "batch"
        layer = cls(**config)
        layer._from_original = original
        return layer

    def load_own_variables(self, store):
        """Loads the running statistics; a file of the original has none, and
        the layer keeps batch inference with a warning that says how to calibrate."""
        if self._from_original and len(store.keys()) == 0:
            # The original keeps no running statistics (its attention net's
            # variables load on their own): keep its batch inference and say so.
            warnings.warn(
                f"RowAttention {self.name!r} was saved by kerasfactory's RowAttention, "
                "which keeps no running statistics: it predicts as the original did, "
                "with weights that depend on the other rows of the batch "
                "(inference='batch'). To make each row's prediction its own, call "
                "skrowattn.layers.calibrate_row_attention(model, X) with training rows.",
                UserWarning,
                stacklevel=2,
            )
            return
        if len(store.keys()) == 3:
            # Saved by skrowattn before the layer tracked its inputs' statistics
            # (development builds of 0.1.0): the three running statistics load; the
            # distance of a row has nothing to measure from until calibrated.
            for i, variable in enumerate((self.moving_log_norm, self.moving_batch_size,
                                          self.num_updates)):
                variable.assign(store[str(i)])
            warnings.warn(
                f"RowAttention {self.name!r} was saved before the layer tracked the "
                "statistics of its inputs: its predictions load unchanged, but its "
                "distance (and novelty term) measure from 0 with unit variance. "
                "skrowattn.layers.calibrate_row_attention(model, X) with training rows "
                "sets them.",
                UserWarning,
                stacklevel=2,
            )
            return
        super().load_own_variables(store)

    def calibrate(self, inputs, batch_size=32):
        """Sets the running statistics from rows, and switches to ``"running"``
        inference, for a layer that has none (one loaded from a file of the
        original layer, or trained with ``inference="batch"``).

        The running normalizer becomes the mean of ``exp(temperature * score)``
        over ``inputs``, and the running batch size ``batch_size``: a row's
        weight is then, on average over batches of ``batch_size`` rows drawn
        from ``inputs``, the weight the batch softmax would give it.

        Parameters
        ----------
        inputs : array of shape (n_rows, feature_dim)
            The layer's inputs for some training rows (hundreds or more).
        batch_size : int, default=32
            The batch size the model was trained with (Keras' ``fit`` default).

        Returns
        -------
        self
        """
        self._check_shape(ops.shape(inputs))
        _check_positive_int("batch_size", batch_size)
        if ops.shape(inputs)[0] == 0:
            raise ValueError("calibrate needs at least one row of inputs.")
        if not self.built:
            self.build(ops.shape(inputs))
        dtype = self.moving_log_norm.dtype
        mean, variance = self._moments(ops.cast(inputs, dtype), None)
        self.input_mean.assign(mean)
        self.input_variance.assign(variance)
        logits = ops.cast(self._logits(inputs, False, None), dtype)
        n = ops.cast(ops.shape(logits)[0], dtype)
        self.moving_log_norm.assign(ops.logsumexp(logits) - ops.log(n))
        self.moving_batch_size.assign(ops.cast(batch_size, dtype))
        self.num_updates.assign(ops.ones((), dtype))
        self.inference = "running"
        self._from_original = False
        return self


def row_attention_layers(model):
    """The RowAttention layers of ``model``, nested ones included, in order."""
    return [l for l in model._flatten_layers(include_self=False) if isinstance(l, RowAttention)]


def input_model(model, layer):
    """A Keras model from ``model``'s inputs to ``layer``'s input; raises what
    Keras raises when ``model`` has no graph to cut there (a subclassed model,
    a layer used twice)."""
    inputs = model.inputs
    # One input as itself, not a list of one (Keras warns otherwise).
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, layer.input)


def calibrate_row_attention(model, X, batch_size=32):
    """Calibrates every ``RowAttention`` layer of ``model`` on the rows ``X``.

    The one call a model saved with kerasfactory's ``RowAttention`` needs for
    predictions that do not depend on the batch (see ``RowAttention.calibrate``)::

        import keras
        import skrowattn.layers  # lets Keras load the original's files
        model = keras.saving.load_model("model.keras")
        skrowattn.layers.calibrate_row_attention(model, X_train)

    Parameters
    ----------
    model : keras.Model
        A functional or Sequential model.
    X : array of shape (n_rows, n_features)
        Model inputs of some training rows.
    batch_size : int, default=32
        The batch size the model was trained with.

    Returns
    -------
    model
    """
    found = row_attention_layers(model)
    if not found:
        raise ValueError(f"The model {model.name!r} has no RowAttention layer to calibrate.")
    for layer in found:
        try:
            probe = input_model(model, layer)
        except Exception as exc:  # a subclassed model: no graph to probe
            raise ValueError(
                "calibrate_row_attention needs a functional or Sequential model using each "
                f"RowAttention layer once; call layer.calibrate(inputs) directly: {exc}"
            ) from exc
        layer.calibrate(probe(X, training=False), batch_size=batch_size)
    # predict() and evaluate() keep the functions they traced in batch mode.
    model.predict_function = model.test_function = None
    return model


# A .keras file of the original names its layer "kerasfactory.layers>RowAttention":
# with skrowattn.layers imported, Keras loads it with this class. If kerasfactory
# itself is imported, its own registration takes over (and is left alone here).
keras.saving.get_custom_objects().setdefault(_ORIGINAL_NAME, RowAttention)
