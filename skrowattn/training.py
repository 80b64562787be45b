"""Training the backbones: the weighted loss and the per-epoch bookkeeping.

Imports Keras; the estimators import it only when they fit.
"""

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


class Trainer:
    """Trains a backbone with scikit-learn's MLP objective, one epoch at a time.

    The loss is the ``w``-weighted mean of the per-row loss plus
    ``0.5 * alpha * sum(kernel**2) / sum(w)`` per batch, so that a row of
    integer weight k counts exactly as k copies of the row. One compiled step per
    batch (``tf.function`` or ``jax.jit``); the epoch loop, the shuffling and the
    batching stay in NumPy, which costs far less per epoch than ``Model.fit``
    on the small tables this estimator mostly sees.
    """

    def __init__(self, backbone, loss, alpha, learning_rate):
        self.backbone = backbone
        self.network = Network(backbone)
        self.loss_kind = loss
        self.alpha = float(alpha)
        # epsilon as scikit-learn's MLP's Adam.
        self.optimizer = keras.optimizers.Adam(learning_rate, epsilon=1e-8)
        self.optimizer.build(self.network.trainable_variables)
        self._kernels = [
            i for i, v in enumerate(self.network.trainable_variables)
            if v.path.endswith("kernel")
        ]
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

    def _loss(self, y, logits, w, trainable):
        dtype = logits.dtype
        w = ops.cast(w, dtype)
        total = ops.sum(w)
        loss = ops.sum(w * per_row_loss(self.loss_kind, y, logits)) / total
        if self.alpha:
            penalty = sum(ops.sum(ops.square(ops.cast(trainable[i], dtype))) for i in self._kernels)
            loss = loss + 0.5 * self.alpha * penalty / total
        return loss

    def _tensorflow_step(self):
        import tensorflow as tf

        network, variables = self.network, self.network.trainable_variables

        @tf.function(reduce_retracing=True)
        def step(x, w, y):
            with tf.GradientTape() as tape:
                logits = network((x, w), training=True)
                loss = self._loss(y, logits, w, variables)
            grads = tape.gradient(loss, variables)
            self.optimizer.apply(grads, variables)
            return loss

        return lambda x, w, y: float(step(x, w, y))

    def _jax_step(self):
        import jax

        network, optimizer = self.network, self.optimizer

        def loss_and_state(trainable, non_trainable, x, w, y):
            logits, non_trainable = network.stateless_call(
                trainable, non_trainable, (x, w), training=True
            )
            return self._loss(y, logits, w, trainable), non_trainable

        grad_fn = jax.value_and_grad(loss_and_state, has_aux=True)

        @jax.jit
        def jitted(state, x, w, y):
            trainable, non_trainable, opt_vars = state
            (loss, non_trainable), grads = grad_fn(trainable, non_trainable, x, w, y)
            trainable, opt_vars = optimizer.stateless_apply(opt_vars, grads, trainable)
            return loss, (trainable, non_trainable, opt_vars)

        holders = (
            network.trainable_variables,
            network.non_trainable_variables,
            optimizer.variables,
        )

        def step(x, w, y):
            state = tuple([v.value for v in group] for group in holders)
            loss, state = jitted(state, x, w, y)
            for group, values in zip(holders, state):
                for v, value in zip(group, values):
                    v.assign(value)
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

    def __init__(self, estimator, validation, epochs, incremental):
        self.est = estimator
        self.validation = validation
        self.epochs = epochs
        self.incremental = incremental
        self.stopped = False
        self.diverged = False
        self.best_weights = None
        self.last_good = estimator.model_.get_weights()

    def on_epoch_begin(self):
        self.start = time.perf_counter()

    def on_epoch_end(self, loss):
        """Book-keeping after an epoch; returns True when training must stop."""
        est = self.est
        if not np.isfinite(loss):
            self.diverged = True
            est.model_.set_weights(self.last_good)
            warnings.warn(
                f"Training diverged at iteration {est.n_iter_ + 1} (loss = {loss}); "
                "stopped and restored the weights of the last finite epoch. "
                "Lower learning_rate_init.",
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
