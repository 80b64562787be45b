"""Training the backbones: the weighted loss and the per-epoch bookkeeping.

Imports Keras; the estimators import it only when they fit.
"""

import collections
import json
import time
import warnings

import keras
import numpy as np
from keras import layers, ops
from sklearn.exceptions import ConvergenceWarning


class PassRowWeights(layers.Layer):
    """Calls the backbone with the rows' sample weights in Keras' call context,
    where every RowAttention inside picks them up, however deeply nested."""

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self._register_call_context_args("sample_weight")
        self.built = True  # the backbone is built already

    def call(self, x, training=None, sample_weight=None):
        return self.backbone(x, training=training)


class Network(keras.Model):
    """The backbone, called on ``(X, w)`` so that its RowAttention sees ``w``."""

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.pass_weights = PassRowWeights(backbone, name="pass_row_weights")
        self.built = True

    def call(self, inputs, training=None):
        x, w = inputs
        return self.pass_weights(x, training=training, sample_weight=w)


def per_row_loss(kind, y, logits):
    """Loss of each row: log-loss of sigmoid or softmax outputs, or squared error."""
    y = ops.cast(y, logits.dtype)
    if kind == "binary":  # binary and multilabel: one sigmoid per output
        return ops.sum(ops.binary_crossentropy(y, logits, from_logits=True), axis=-1)
    if kind == "multiclass":
        return ops.categorical_crossentropy(y, logits, from_logits=True)
    return 0.5 * ops.mean(ops.square(y - logits), axis=-1)


# Adam as scikit-learn's MLP (and Keras) compute it.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8


def adam(params, grads, m, v, t, lr):
    """One Adam step on lists of tensors; returns (params, m, v, t)."""
    t = t + 1.0
    step = lr * ops.sqrt(1.0 - ops.power(BETA_2, t)) / (1.0 - ops.power(BETA_1, t))
    new_params, new_m, new_v = [], [], []
    for p, g, m_i, v_i in zip(params, grads, m, v):
        g = ops.cast(g, p.dtype)
        m_i = m_i + (g - m_i) * (1.0 - BETA_1)
        v_i = v_i + (ops.square(g) - v_i) * (1.0 - BETA_2)
        new_params.append(p - ops.cast(step, p.dtype) * m_i / (ops.sqrt(v_i) + EPSILON))
        new_m.append(m_i)
        new_v.append(v_i)
    return new_params, new_m, new_v, t


def _architecture_key(backbone, loss):
    """Same key, same computation: a compiled step can be reused across fits."""
    config = json.dumps(backbone.get_config(), sort_keys=True, default=repr)
    return (config, loss, keras.backend.backend())


# Compiled TensorFlow steps by architecture. Each new tf.function costs a trace
# (a second or more) and TensorFlow never gives all of its memory back (about
# 8 MB a fit measured here), so fits of the same network, as in a grid search or
# cross-validation, share one; the variables are arguments, not captures.
_COMPILED = collections.OrderedDict()
_COMPILED_MAX = 16


class Trainer:
    """Trains a backbone with scikit-learn's MLP objective, one epoch at a time.

    The loss is the ``w``-weighted mean of the per-row loss plus
    ``0.5 * alpha * sum(kernel**2) / sum(w)`` per batch, so that a row of
    integer weight k counts exactly as k copies of the row; Adam as scikit-learn's
    MLP. One compiled step per batch (``tf.function`` or ``jax.jit``); the epoch
    loop, the shuffling and the batching stay in NumPy, which costs far less per
    epoch than ``Model.fit`` on the small tables this estimator mostly sees.
    """

    def __init__(self, backbone, loss, alpha, learning_rate):
        self.backbone = backbone
        self.network = Network(backbone)
        self.loss_kind = loss
        self.alpha = float(alpha)
        self.learning_rate = float(learning_rate)
        trainable = self.network.trainable_variables
        dtype = trainable[0].dtype if trainable else "float32"
        self.adam_m = [keras.Variable(ops.zeros(v.shape, v.dtype), trainable=False) for v in trainable]
        self.adam_v = [keras.Variable(ops.zeros(v.shape, v.dtype), trainable=False) for v in trainable]
        self.adam_t = keras.Variable(0.0, dtype=dtype, trainable=False)
        self._kernels = [i for i, v in enumerate(trainable) if v.path.endswith("kernel")]
        backend = keras.backend.backend()
        if backend == "tensorflow":
            self._step = self._tensorflow_step()
        elif backend == "jax":
            self._step = self._jax_step()
        else:
            raise ValueError(
                f"The estimators train with the TensorFlow or JAX backend of Keras; "
                f"KERAS_BACKEND is {backend!r}. (The RowAttention layer itself works "
                "with every backend.)"
            )

    def _loss(self, y, logits, w, trainable, alpha):
        dtype = logits.dtype
        w = ops.cast(w, dtype)
        total = ops.sum(w)
        loss = ops.sum(w * per_row_loss(self.loss_kind, y, logits)) / total
        if self._kernels:
            penalty = sum(ops.sum(ops.square(ops.cast(trainable[i], dtype))) for i in self._kernels)
            loss = loss + 0.5 * ops.cast(alpha, dtype) * penalty / total
        return loss

    def _pure_step(self, trainable, non_trainable, m, v, t, lr, alpha, x, w, y, gradient):
        """The whole update as a function of values: forward, loss, gradient, Adam."""

        def loss_fn(trainable):
            logits, new_non_trainable = self.network.stateless_call(
                trainable, non_trainable, (x, w), training=True
            )
            return self._loss(y, logits, w, trainable, alpha), new_non_trainable

        (loss, non_trainable), grads = gradient(loss_fn, trainable)
        trainable, m, v, t = adam(trainable, grads, m, v, t, lr)
        return loss, trainable, non_trainable, m, v, t

    def _state(self):
        return (
            [v.value for v in self.network.trainable_variables],
            [v.value for v in self.network.non_trainable_variables],
            [v.value for v in self.adam_m],
            [v.value for v in self.adam_v],
            self.adam_t.value,
        )

    def _tensorflow_step(self):
        import tensorflow as tf

        def gradient(loss_fn, trainable):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                loss, aux = loss_fn(trainable)
            return (loss, aux), tape.gradient(loss, trainable)

        key = _architecture_key(self.backbone, self.loss_kind)
        compiled = _COMPILED.get(key)
        if compiled is None:
            @tf.function(reduce_retracing=True)
            def compiled(tv, ntv, m, v, t, lr, alpha, x, w, y):
                values = [tf.identity(a) for a in tv], [tf.identity(a) for a in ntv]
                out = self._pure_step(
                    *values, [tf.identity(a) for a in m], [tf.identity(a) for a in v],
                    tf.identity(t), lr, alpha, x, w, y, gradient,
                )
                loss, new = out[0], out[1:]
                for holders, values in zip((tv, ntv, m, v), new[:4]):
                    for holder, value in zip(holders, values):
                        holder.assign(value)
                t.assign(new[4])
                return loss

            _COMPILED[key] = compiled
            while len(_COMPILED) > _COMPILED_MAX:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
        state = self._state()
        dtype = self.adam_t.dtype
        lr = tf.constant(self.learning_rate, dtype)
        alpha = tf.constant(self.alpha, dtype)
        return lambda x, w, y: float(compiled(*state, lr, alpha, x, w, y))

    def _jax_step(self):
        import jax

        def gradient(loss_fn, trainable):
            return jax.value_and_grad(loss_fn, has_aux=True)(trainable)

        @jax.jit
        def jitted(state, lr, alpha, x, w, y):
            out = self._pure_step(*state, lr, alpha, x, w, y, gradient)
            return out[0], out[1:]

        holders = (
            self.network.trainable_variables,
            self.network.non_trainable_variables,
            self.adam_m,
            self.adam_v,
        )

        def step(x, w, y):
            loss, new = jitted(self._state(), self.learning_rate, self.alpha, x, w, y)
            for group, values in zip(holders, new[:4]):
                for holder, value in zip(group, values):
                    holder.assign(value)
            self.adam_t.assign(new[4])
            return float(loss)

        return step

    def run_epoch(self, X, W, Y, batch_size, order):
        """One pass over the rows in ``order``; the mean loss, weighted by rows."""
        total, n = 0.0, len(order)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            total += self._step(X[idx], W[idx], Y[idx]) * len(idx)
        return total / n


class EpochMonitor:
    """Per-epoch bookkeeping of a fit, as scikit-learn's MLP does it.

    Records ``loss_curve_``, ``best_loss_``, ``n_iter_`` and, with early stopping,
    ``validation_scores_``; stops after ``n_iter_no_change`` epochs without an
    improvement of ``tol``; stops and restores the last finite weights when the
    loss diverges; prints the progress line with ``verbose``.
    """

    def __init__(self, estimator, validation, epochs, incremental, probe):
        self.est = estimator
        self.probe = probe  # a few training rows, to check restored weights on
        self.validation = validation
        self.epochs = epochs
        self.incremental = incremental
        self.stopped = False
        self.diverged = False
        self.best_weights = None
        self.last_good = self.initial = estimator.model_.get_weights()

    def on_epoch_begin(self):
        self.start = time.perf_counter()

    def on_epoch_end(self, loss):
        """Book-keeping after an epoch; returns True when training must stop."""
        est = self.est
        if not np.isfinite(loss):
            self.diverged = True
            est.model_.set_weights(self.last_good)
            restored = "of the last epoch with a finite loss"
            if not self._finite_outputs():
                # The last finite loss came from weights already too large to
                # predict with: go back to the weights this fit started from.
                est.model_.set_weights(self.initial)
                restored = "this fit started from"
            warnings.warn(
                f"Training diverged at iteration {est.n_iter_ + 1} (loss = {loss}); "
                f"stopped and restored the weights {restored}. Lower learning_rate_init.",
                ConvergenceWarning,
            )
            return True
        est.n_iter_ += 1
        self.last_good = est.model_.get_weights()
        est.loss_curve_.append(loss)
        message = f"Iteration {est.n_iter_}, loss = {loss:.8f}"
        if est.early_stopping and self.validation is not None:
            score = est._validation_score(*self.validation)
            est.validation_scores_.append(score)
            message += f", validation score = {score:.6f}"
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                self.best_weights = self.last_good
        elif loss > est.best_loss_ - est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        est.best_loss_ = min(est.best_loss_, loss)
        if est.verbose:
            print(f"{message}, time = {time.perf_counter() - self.start:.2f}s", flush=True)
        if not self.incremental and est._no_improvement_count > est.n_iter_no_change:
            self.stopped = True
            if est.verbose:
                what = "Validation score" if est.early_stopping else "Training loss"
                print(
                    f"{what} did not improve more than tol={est.tol} for "
                    f"{est.n_iter_no_change} consecutive epochs. Stopping.",
                    flush=True,
                )
        return self.stopped

    def _finite_outputs(self):
        from skrowattn.inference import make_plan

        with np.errstate(all="ignore"):
            return bool(np.all(np.isfinite(make_plan(self.est.model_).logits(self.probe))))

    def finish(self):
        """After ``fit``: keep the best weights; warn when out of iterations."""
        if self.est.early_stopping and self.best_weights is not None:
            self.est.model_.set_weights(self.best_weights)
        if not (self.incremental or self.stopped or self.diverged):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.epochs}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
