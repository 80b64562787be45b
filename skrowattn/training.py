"""Training the backbones: the weighted loss and the per-epoch bookkeeping.

Imports Keras; the estimators import it only when they fit.
"""

import collections
import json
import os
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


def _without_seeds(config):
    if isinstance(config, dict):
        return {k: _without_seeds(v) for k, v in config.items() if k != "seed"}
    if isinstance(config, (list, tuple)):
        return [_without_seeds(v) for v in config]
    return config


def _architecture_key(backbone, loss):
    """Same key, same computation: a compiled step can be reused across fits
    (initializer seeds differ between fits but play no part in a step)."""
    config = json.dumps(_without_seeds(backbone.get_config()), sort_keys=True, default=repr)
    return (config, loss, keras.backend.backend())


# Compiled TensorFlow steps by architecture. Each new tf.function costs a trace
# (a second or more) and TensorFlow never gives all of its memory back (about
# 8 MB a fit measured here), so fits of the same network, as in a grid search or
# cross-validation, share one; the variables are arguments, not captures.
_COMPILED = collections.OrderedDict()
_COMPILED_MAX = 16

# Rows per compiled call.
CHUNK_ROWS = 16384
# The fewest steps a TensorFlow fit must plan to be worth an XLA compilation.
# Measured on 2 cores (100,000 x 32 rows, batch 256): XLA steps run twice as
# fast, and a first fit of 1,950 steps took as long with XLA's compilation as
# without; later fits of the same shapes (cross-validation folds, a search's
# candidates) reuse the compilation, so from 1,000 steps they gain.
XLA_MIN_STEPS = int(os.environ.get("SKROWATTN_XLA_MIN_STEPS", 1000))


class Trainer:
    """Trains a backbone with scikit-learn's MLP objective, one epoch at a time.

    The loss of a batch is the ``w``-weighted mean of its per-row loss plus
    ``0.5 * alpha * sum(kernel**2) / N``, N the total weight of the training
    rows: averaged over an epoch, the objective scikit-learn's MLP minimizes with
    its full-batch solver (mean loss + alpha / (2 N) * ||W||^2), whatever the
    batch size, and a row of integer weight k counts exactly as k copies of the
    row. (MLP's stochastic solvers divide by the batch size instead, which makes
    the penalty grow with the number of batches: measured, a regressor's alpha
    then fitted diabetes, 442 rows, or diamonds, 53,940, but not both.) Adam as
    scikit-learn's MLP. Each compiled call runs a chunk of batches in a loop
    inside the graph (see ``prepare``); the shuffling stays in NumPy.
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
        self._data = self._buffers = None
        if keras.backend.backend() not in ("tensorflow", "jax"):
            raise ValueError(
                f"The estimators train with the TensorFlow or JAX backend of Keras; "
                f"KERAS_BACKEND is {keras.backend.backend()!r}. (The RowAttention layer itself works "
                "with every backend.)"
            )

    def _loss(self, y, logits, w, trainable, alpha_over_n):
        dtype = logits.dtype
        w = ops.cast(w, dtype)
        loss = ops.sum(w * per_row_loss(self.loss_kind, y, logits)) / ops.sum(w)
        if self._kernels:
            penalty = sum(ops.sum(ops.square(ops.cast(trainable[i], dtype))) for i in self._kernels)
            loss = loss + 0.5 * ops.cast(alpha_over_n, dtype) * penalty
        return loss

    def _pure_step(self, state, lr, alpha_over_n, x, w, y, gradient):
        """One update as a function of values: forward, loss, gradient, Adam.

        ``state`` is (trainable, non-trainable, Adam m, Adam v, Adam t); returns
        ``(loss, new_state)``.
        """
        trainable, non_trainable, m, v, t = state

        def loss_fn(trainable):
            logits, new_non_trainable = self.network.stateless_call(
                trainable, non_trainable, (x, w), training=True
            )
            return self._loss(y, logits, w, trainable, alpha_over_n), new_non_trainable

        (loss, non_trainable), grads = gradient(loss_fn, trainable)
        trainable, m, v, t = adam(trainable, grads, m, v, t, lr)
        return loss, (trainable, non_trainable, m, v, t)

    def _holders(self):
        return (
            self.network.trainable_variables,
            self.network.non_trainable_variables,
            self.adam_m,
            self.adam_v,
        )

    def _state(self):
        groups = tuple([v.value for v in group] for group in self._holders())
        return groups + (self.adam_t.value,)

    def _assign(self, state):
        for group, values in zip(self._holders(), state[:4]):
            for holder, value in zip(group, values):
                holder.assign(value)
        self.adam_t.assign(state[4])

    def _cached(self, kind, make):
        """The compiled loop of this architecture, made by ``make`` if new."""
        key = _architecture_key(self.backbone, self.loss_kind) + (kind,)
        compiled = _COMPILED.get(key)
        if compiled is None:
            compiled = _COMPILED[key] = make()
            while len(_COMPILED) > _COMPILED_MAX:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
        return compiled

    def _tensorflow_loop(self, xla):
        import tensorflow as tf

        def gradient(loss_fn, trainable):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                loss, aux = loss_fn(trainable)
            return (loss, aux), tape.gradient(loss, trainable)

        def make():
            @tf.function(reduce_retracing=True, jit_compile=xla)
            def loop(holders, t_holder, lr, alpha_over_n, xs, ws, ys, count):
                # The backend's variables come in as arguments, not captures,
                # so one trace serves every fit of this architecture.
                state = tuple([tf.identity(h) for h in group] for group in holders)
                state += (tf.identity(t_holder),)

                def body(i, total, state):
                    loss, state = self._pure_step(state, lr, alpha_over_n, xs[i], ws[i], ys[i],
                                                  gradient)
                    rows = tf.math.count_nonzero(ws[i] > 0, dtype=total.dtype)
                    return i + 1, total + tf.cast(loss, total.dtype) * rows, state

                _, total, state = tf.while_loop(
                    lambda i, total, state: i < count,
                    body,
                    (tf.constant(0), tf.constant(0.0, tf.float64), state),
                )
                for group, values in zip(holders, state[:4]):
                    for holder, value in zip(group, values):
                        holder.assign(value)
                t_holder.assign(state[4])
                return total

            return loop

        compiled = self._cached("xla" if xla else "graph", make)
        dtype = self.adam_t.dtype
        lr = tf.constant(self.learning_rate, dtype)
        alpha_over_n = tf.constant(self._alpha_over_n, dtype)
        *holders, t_holder = self._state()  # TensorFlow variables
        return lambda xs, ws, ys, count: float(
            compiled(holders, t_holder, lr, alpha_over_n, xs, ws, ys, tf.constant(count))
        )

    def _jax_loop(self):
        import jax

        def gradient(loss_fn, trainable):
            return jax.value_and_grad(loss_fn, has_aux=True)(trainable)

        def make():
            @jax.jit
            def loop(state, lr, alpha_over_n, xs, ws, ys, count):
                def body(i, carry):
                    state, total = carry
                    loss, state = self._pure_step(state, lr, alpha_over_n, xs[i], ws[i], ys[i],
                                                  gradient)
                    return state, total + loss * jax.numpy.sum(ws[i] > 0)

                return jax.lax.fori_loop(0, count, body, (state, jax.numpy.zeros((), xs.dtype)))

            return loop

        compiled = self._cached("jit", make)

        def run(xs, ws, ys, count):
            state, total = compiled(self._state(), self.learning_rate, self._alpha_over_n, xs, ws,
                                    ys, count)
            self._assign(state)
            return float(total)

        return run

    def prepare(self, X, W, Y, batch_size, epochs):
        """Sets up the compiled loop and its buffers for a fit on these rows.

        The batches of an epoch are gathered, in NumPy, into chunks of a fixed
        shape of up to ``CHUNK_ROWS`` rows; each chunk is one compiled call that
        runs its steps in a loop inside the graph (``tf.while_loop`` or
        ``jax.lax.fori_loop``), so no Python runs between two batches and the
        compiled code does not depend on the number of rows. JAX and XLA get
        chunks of one shape, whatever the number of rows. On TensorFlow, XLA
        makes a step about twice as fast but takes seconds to compile, so it is
        used when the fit plans at least ``XLA_MIN_STEPS`` steps.
        """
        self._data = X, W, Y
        self.batch_size = batch_size
        self._alpha_over_n = self.alpha / float(np.sum(W, dtype=np.float64))
        per_chunk = max(1, CHUNK_ROWS // batch_size)
        self._buffers = [np.empty((per_chunk, batch_size) + a.shape[1:], a.dtype) for a in (X, W, Y)]
        steps = len(X) // batch_size * epochs
        if keras.backend.backend() == "jax":
            self._loop = self._jax_loop()
            self._fixed_shapes = True
        else:
            xla = steps >= XLA_MIN_STEPS
            self._loop = self._tensorflow_loop(xla)
            # XLA compiles for each shape; TensorFlow's graph takes any.
            self._fixed_shapes = xla

    def run_epoch(self, order):
        """One pass over the rows in ``order``; the mean loss, weighted by rows.

        The last batch is filled up with rows of weight zero, which change
        nothing (the loss, the attention's softmax and its batch norm all weigh
        rows by ``w``), so every step has the shape of the others: an epoch is
        one compiled call per chunk, with no call of its own for a smaller last
        batch (nor, under XLA, a compilation of its own).
        """
        n, batch_size = len(order), self.batch_size
        pad = -n % batch_size  # < batch_size <= n
        batches = np.concatenate([order, order[:pad]]).reshape(-1, batch_size)
        per_chunk = len(self._buffers[0])
        total = 0.0
        for start in range(0, len(batches), per_chunk):
            idx = batches[start:start + per_chunk]
            for source, buffer in zip(self._data, self._buffers):
                np.take(source, idx, axis=0, out=buffer[:len(idx)])
            if pad and start + per_chunk >= len(batches):
                self._buffers[1][len(idx) - 1, batch_size - pad:] = 0  # the filler rows
            chunk = self._buffers if self._fixed_shapes else [b[:len(idx)] for b in self._buffers]
            total += self._loop(*chunk, len(idx))
        return total / n

    def release(self):
        self._data = self._buffers = None


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
        self.best_val_loss = np.inf  # validation loss of best_weights
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
        if self.validation is not None:
            score, val_loss = est._validation_metrics(*self.validation, values=self.last_good)
            est.validation_scores_.append(score)
            est.validation_loss_curve_.append(val_loss)
            message += f", validation score = {score:.6f}, validation loss = {val_loss:.6f}"
            # Stopping and the kept epoch follow the held-out loss (log-loss or
            # squared error), not the score as in scikit-learn's MLP: accuracy
            # moves in steps of one held-out row and sits flat for epochs on
            # imbalanced classes (ISLR Default: 11 epochs at the all-"No" 0.967),
            # and the loss also sees overconfident probabilities. Measured on the
            # public table suite (benchmarks/tables.py), breast_cancer: accuracy
            # 0.956 and log-loss 0.108 against 0.925 and 0.326 stopping on accuracy.
            if val_loss <= self.best_val_loss - est.tol:
                est._no_improvement_count = 0
            else:
                est._no_improvement_count += 1
            if val_loss < self.best_val_loss:
                self.best_val_loss = val_loss
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
                what = "Validation loss" if self.validation is not None else "Training loss"
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
        if self.best_weights is not None:
            self.est.model_.set_weights(self.best_weights)
        if not (self.incremental or self.stopped or self.diverged):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.epochs}) reached and "
                "the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
