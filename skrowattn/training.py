"""Training the backbones: the weighted loss, Adam, and the backend-neutral
loop; each backend compiles it in its own module (``training_tensorflow``,
``training_jax``).

Imports Keras; the estimators import it only when they fit.
"""

import collections
import json
import math

from skrowattn import _startup  # noqa: F401  (Keras, imported quietly)
import keras
import numpy as np
from keras import layers, ops
from skrowattn._tensors import to_numpy


class PassRowWeights(layers.Layer):
    """Calls the backbone with the rows' sample weights in Keras' call context,
    where every RowAttention inside picks them up, however deeply nested."""

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self._register_call_context_args("sample_weight")
        self.built = True  # the backbone is built already

    def call(self, x, training=None, sample_weight=None):
        """Calls the backbone on ``x`` with the row weights in Keras' call
        context, where every RowAttention layer finds them."""
        return self.backbone(x, training=training)


class Network(keras.Model):
    """The backbone, called on ``(X, w)`` so that its RowAttention sees the row
    weights ``w``."""

    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.pass_weights = PassRowWeights(backbone, name="pass_row_weights")
        self.built = True

    def call(self, inputs, training=None):
        """``inputs`` is ``(x, row weights)``; the weights reach every RowAttention."""
        x, w = inputs
        return self.pass_weights(x, training=training, sample_weight=w)


def _stateless_call(model, trainable, non_trainable, inputs):
    """``model.stateless_call(trainable, non_trainable, inputs, training=True)``,
    except that the values are bound with ``StatelessScope.add_update``, which
    does not ask their static shapes to equal the variables': in a trace of
    unknown input width (TensorFlow's loop, traced once for every width), the
    first kernel's value has an unknown dimension."""
    with keras.StatelessScope() as scope:
        for group, values in ((model.trainable_variables, trainable),
                              (model.non_trainable_variables, non_trainable)):
            for variable, value in zip(group, values, strict=True):
                scope.add_update((variable, value))
        outputs = model.call(inputs, training=True)
    return outputs, [scope.get_current_value(v) for v in model.non_trainable_variables]


def per_row_loss(kind, y, logits):
    """Loss of each row: log-loss of sigmoid or softmax outputs, or squared error."""
    y = ops.cast(y, logits.dtype)
    if kind == "binary":  # binary and multilabel: one sigmoid per output
        return ops.sum(ops.binary_crossentropy(y, logits, from_logits=True), axis=-1)
    if kind == "multiclass":
        return ops.categorical_crossentropy(y, logits, from_logits=True)
    return 0.5 * ops.mean(ops.square(y - logits), axis=-1)


# Shrinkage of a row's learned score toward 0, each time the row is seen.
ROW_DECAY = 0.01


def row_step(d, losses, w, row_rate, xp):
    """The change of a batch's row scores ``d``: one step ``row_rate`` of
    gradient descent on the batch's per-row ``losses`` weighted by the softmax
    of ``d`` (rows of weight ``w``), shrunk toward 0 by ``ROW_DECAY``. ``xp`` is
    ``keras.ops`` inside the compiled loop, NumPy outside it."""
    seen = w > 0
    # The softmax over the batch's rows, a row of weight k counted k times:
    # the gradient of sum(p * losses) by d is p * (losses - mean), and per
    # unit of the row's weight (times sum(w) / w) a row of weight k moves as
    # each of k copies would.
    p = w * xp.exp(d - xp.max(xp.where(seen, d, xp.min(d))))
    p = p / xp.sum(p)
    per_row = p * (losses - xp.sum(p * losses)) * xp.sum(w) / xp.where(seen, w, 1.0)
    return -(per_row + ROW_DECAY * d) * xp.where(seen, row_rate, 0.0 * row_rate)


# Adam as scikit-learn's MLP (and Keras) compute it.
BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-8


def cosine_factor(t, t_start, decay_steps, xp):
    """The learning rate's factor at Adam's step ``t`` of a fit that began
    after step ``t_start``: cosine decay from 1 to 0 over ``decay_steps`` steps
    (Loshchilov & Hutter 2017, without restarts), 1 throughout when
    ``decay_steps`` is 0. Written here rather than with Keras'
    ``CosineDecay``, which holds its horizon as a Python number: here it is a
    value of the compiled loop, so one trace serves fits of every length."""
    done = xp.minimum((t - t_start - 1.0) / xp.maximum(decay_steps, 1.0), 1.0)
    return xp.where(decay_steps > 0, 0.5 * (1.0 + xp.cos(math.pi * done)), 1.0 + 0.0 * done)


# Adam's update and the loop's state run on the trainable weights as one flat
# vector: one op each instead of one per weight, and 3 loop variables instead
# of 33 for the default network. Measured on 427 rows of breast_cancer, 50
# epochs of 3 steps (2 cores): a fit took 0.131 s against 0.193 s, the same
# weights to the last digit.
def _layout(values):
    """How ``_flatten`` lays ``values`` out: the order of their indices, and
    for each in that order (start, end, shape). The weights of fully known
    shape come first, at known places; a weight of unknown size (the first
    kernel in a trace of any input width) comes last, to the vector's end, so
    the step slices it without computing where it lies."""
    shapes = [ops.shape(x) for x in values]
    known = [all(isinstance(d, int) for d in shape) for shape in shapes]
    order = [i for i in range(len(values)) if known[i]] + [i for i in range(len(values))
                                                            if not known[i]]
    pieces, start = [], 0
    for i in order:
        shape = shapes[i]
        if known[i]:
            end = start + math.prod(shape)
        else:  # (the last one)
            end = None
            unknown = [k for k, d in enumerate(shape) if not isinstance(d, int)]
            if len(unknown) == 1:  # a static shape for the rest of the step
                shape = tuple(-1 if k == unknown[0] else d for k, d in enumerate(shape))
        pieces.append((start, end, shape))
        start = end
    return order, pieces


def _flatten(values, layout):
    """``values`` as one vector, laid out by ``layout`` (``_layout``)."""
    return ops.concatenate([ops.reshape(values[i], (-1,)) for i in layout[0]])


def _unflatten(flat, layout):
    """``_flatten``'s inverse: the list of values, in their own order."""
    order, pieces = layout
    values = [None] * len(order)
    for i, (start, end, shape) in zip(order, pieces):
        values[i] = ops.reshape(flat[start:end], shape)
    return values


def adam(params, grads, m, v, t, lr):
    """One Adam step on lists of tensors; returns (params, m, v, t).

    Written here rather than Keras' ``Adam.stateless_apply`` (the same update
    with ``epsilon=1e-8``, as scikit-learn's MLP) because that raises "not
    supported with the TensorFlow backend": one pure function serves both
    trainers. Measured on JAX (100 steps of breast_cancer's network in one
    jitted loop): 34.2 us a step here, 34.8 with ``stateless_apply``, same
    weights to 1e-5.
    """
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


def _family(config, input_shapes):
    """``config`` without initializer seeds, and with the input's shape made a
    wildcard wherever the config repeats it (a hidden layer of the input's
    width too: the key then only matches fewer networks)."""
    if isinstance(config, dict):
        return {k: _family(v, input_shapes) for k, v in config.items() if k != "seed"}
    if isinstance(config, (list, tuple)):
        if list(config) in input_shapes:
            return "input shape"
        return [_family(v, input_shapes) for v in config]
    return config


def _architecture_key(backbone, loss, any_width=False):
    """Same key, same computation: a compiled loop can be reused across fits
    (initializer seeds differ between fits but play no part in a step). With
    ``any_width`` (the default network, whose TensorFlow loop is traced for
    any input width), its input shape is left out of the key."""
    input_shapes = [list(t.shape) for t in backbone.inputs] if any_width else []
    with _startup.no_tensorflow_import():
        config = backbone.get_config()
    config = json.dumps(_family(config, input_shapes), sort_keys=True, default=repr)
    return (config, loss, keras.backend.backend())


# Training pads the encoded columns of the default network's input with zero
# columns up to a multiple of this: under XLA the loop is compiled once per
# padded width instead of once per width, and a table's width moves with its
# categories' levels (from split to split, fold to fold). (The TensorFlow
# graph's trace takes any width: TensorFlowTrainer._any_rows_and_width.)
WIDTH_STEP = 16


# Compiled TensorFlow steps by architecture. Each new tf.function costs a trace
# (a second or more) and TensorFlow never gives all of its memory back (about
# 8 MB a fit measured here), so fits of the same network, as in a grid search or
# cross-validation, share one; the variables are arguments, not captures.
_COMPILED = collections.OrderedDict()
_COMPILED_MAX = 16

# Rows per compiled call.
CHUNK_ROWS = 16384
# An epoch larger than a chunk runs in calls of COMPILED_CHUNKS chunks when its
# loop is compiled (XLA, JAX), up to CHUNK_BYTES of rows: each call has a fixed
# cost (the state in and out, the buffers), and a compiled step is cheap.
# Measured on 100,000 x 32 rows, batch 256, 5 epochs (2 cores, medians of 4
# fits): TensorFlow under XLA 0.62 s against 0.77 s, JAX 0.57 against 0.64 s,
# the same models. Not on the graph executor: the suite's 8 tables of 5,000
# to 15,000 rows fitted 4% slower in calls of four chunks (the row scores'
# update copies a vector of one slot per row of the call at every step).
COMPILED_CHUNKS = 4
CHUNK_BYTES = 64 << 20


def make_trainer(backbone, loss, alpha, learning_rate, row_rate=0.0, padded_network=None):
    """The trainer of the current Keras backend (each in its own module, as
    Keras keeps its backends' trainers). ``padded_network(width)``: the same
    network for inputs of another width, to train on inputs padded with zero
    columns to a multiple of ``WIDTH_STEP`` (only for a backbone whose input
    goes into a Dense layer ``hidden_1`` alone)."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        from skrowattn.training_tensorflow import TensorFlowTrainer as cls
    elif backend == "jax":
        from skrowattn.training_jax import JaxTrainer as cls
    else:
        raise ValueError(
            f"The estimators train with the TensorFlow or JAX backend of Keras; "
            f"KERAS_BACKEND is {backend!r}. (The RowAttention layer itself works "
            "with every backend.)"
        )
    # On JAX the padded network that the loop is traced with costs its first
    # fit 2-3 s of compilations (Keras' initializers compile once per shape):
    # breast_cancer's first fit in a fresh process took 5.4-5.6 s against
    # 3.2-4.0 s unpadded (measured), so JAX trains on the table's own width.
    return cls(backbone, loss, alpha, learning_rate, row_rate,
               padded_network if backend == "tensorflow" else None)


class Trainer:
    """Trains a backbone with scikit-learn's MLP objective, a chunk of batches at a time.

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

    With ``row_rate > 0``, every training row also has a learned score ``d``
    ("data parameters", Saxena et al., NeurIPS 2019): after each step, one step
    ``row_rate`` of gradient descent on the batch's per-row losses weighted by
    ``softmax(d)`` over the batch (per unit of the row's weight, so that a row
    of weight k moves as each of k copies would), shrunk toward 0 by
    ``ROW_DECAY`` each time the row is seen. A row whose loss stays above its
    batch's (a wrong label) lowers its score; ``row_scores()`` reads them after
    training. The scores do not act on the network: letting them into the
    RowAttention softmax during training cost clean tables their accuracy
    (``docs/sample-weights.md``), so the model is the same with or without them.
    """

    def __init__(self, backbone, loss, alpha, learning_rate, row_rate=0.0,
                 padded_network=None):
        self.backbone = backbone
        self.network = Network(backbone)
        self.loss_kind = loss
        self.alpha = float(alpha)
        self.learning_rate = float(learning_rate)
        self.row_rate = float(row_rate)
        trainable = self.network.trainable_variables
        self.dtype = trainable[0].dtype if trainable else "float32"
        # Padded inputs (WIDTH_STEP): the first kernel trains with zero rows
        # for the zero columns. Those rows stay exactly 0 (zero inputs give
        # them no gradient, and a zero kernel no penalty), so the model is the
        # unpadded one, to rounding.
        self._padded = None  # (index of the first kernel, width, padded width)
        self.first_kernel = None  # its index, when the loop may take any input width
        self._padded_network = padded_network
        if padded_network is not None:
            width = backbone.inputs[0].shape[-1]
            padded_width = -(-width // WIDTH_STEP) * WIDTH_STEP
            kernel = backbone.get_layer("hidden_1").kernel
            self.first_kernel = next(i for i, v in enumerate(trainable) if v is kernel)
            if padded_width != width:
                self._padded = (self.first_kernel, width, padded_width)
        self._compute = None  # the network the loop is traced with (padded width)
        # Adam's state (and the rows' scores) are values, passed into the
        # compiled loop and returned by it, not Keras variables: making them
        # took a quarter of a small fit's fixed cost (2 x 10 variables, 55 ms of
        # 257 for breast_cancer, measured). Only the network needs variables.
        self.adam_m = self._pad([np.zeros(v.shape, v.dtype) for v in trainable], np)
        self.adam_v = self._pad([np.zeros(v.shape, v.dtype) for v in trainable], np)
        self.adam_t = np.zeros((), self.dtype)
        self._kernels = [i for i, v in enumerate(trainable) if v.path.endswith("kernel")]
        self._data = self._buffers = None
        self._architecture = None  # _cached's key, made once
        self._variables = None  # _holders'
        self.row_offsets = None  # the rows' scores, made for each fit by prepare()
        self._scores = None

    def _pad_kernel(self, kernel, xp=ops):
        """The first kernel with zero rows for the padded columns (``xp``:
        NumPy or ``keras.ops``)."""
        _, width, padded = self._padded
        return xp.pad(kernel, [[0, padded - width], [0, 0]])

    def _pad(self, values, xp=ops):
        """``values`` (one per trainable weight) with the first kernel padded."""
        values = list(values)
        if self._padded is not None:
            values[self._padded[0]] = self._pad_kernel(values[self._padded[0]], xp)
        return values

    def _unpad(self, values):
        """``_pad``'s inverse: the first kernel's rows of the real columns."""
        values = list(values)
        if self._padded is not None:
            i, width, _ = self._padded
            values[i] = values[i][:width]
        return values

    def _compute_network(self):
        """The network the compiled loop computes with: this one, or with
        padded inputs a copy of it at the padded width (only its structure
        counts: the loop takes the weights' values as arguments)."""
        if self._padded is None:
            return self.network
        if self._compute is None:
            self._compute = Network(self._padded_network(self._padded[2]))
        return self._compute

    def _compiled_from_start(self, steps, sure_steps):
        """Whether ``_make_loop(steps, sure_steps)`` compiles the loop (XLA,
        JAX) from the fit's first call: its calls may then be larger
        (``COMPILED_CHUNKS``)."""
        return False

    def _make_loop(self, steps, sure_steps):
        """The backend's compiled loop for a fit of at most ``steps`` steps, of
        which ``sure_steps`` run whatever the stopping rules: a function
        ``run(xs, ws, ys, ids, groups, group_steps, rows, rule)`` that runs
        ``_pure_groups`` on the variables and returns the summed row losses of
        each group run."""
        raise NotImplementedError

    def scale_alpha(self, factor):
        """Scales the penalty by ``factor`` for the rest of the fit."""
        self._alpha_over_n *= factor

    def _hyper(self):
        """The step's scalars: learning rate, alpha / N, the rows' score rate,
        and the learning rate's schedule (Adam's step count when this fit
        began, the steps its cosine decays over, 0: constant)."""
        return (self.learning_rate, self._alpha_over_n, self.row_rate, self._t_start,
                self._decay_steps)

    def _loss(self, row_losses, w, trainable, alpha_over_n):
        dtype = row_losses.dtype
        w = ops.cast(w, dtype)
        loss = ops.sum(w * row_losses) / ops.sum(w)
        if self._kernels:
            penalty = sum(ops.sum(ops.square(ops.cast(trainable[i], dtype))) for i in self._kernels)
            loss = loss + 0.5 * ops.cast(alpha_over_n, dtype) * penalty
        return loss

    def _pure_step(self, state, hyper, x, w, y, ids, gradient, layout):
        """One update as a function of values: forward, loss, gradient, Adam,
        and the rows' scores.

        ``state`` is (trainable weights, non-trainable, Adam m, Adam v, [row
        scores], Adam t), the weights and Adam's moments each one vector laid
        out by ``layout`` (``_layout``); ``hyper`` is ``_hyper()``'s values;
        returns ``(loss, new_state)``.
        """
        flat, non_trainable, m, v, (offsets,), t = state
        lr, alpha_over_n, row_rate, t_start, decay_steps = hyper
        trainable = _unflatten(flat, layout)

        def loss_fn(trainable):
            logits, new_non_trainable = _stateless_call(self._compute_network(), trainable,
                                                        non_trainable, (x, w))
            row_losses = per_row_loss(self.loss_kind, y, logits)
            loss = self._loss(row_losses, w, trainable, alpha_over_n)
            return loss, (new_non_trainable, row_losses)

        (loss, (non_trainable, row_losses)), grads = gradient(loss_fn, trainable)
        if self.row_rate:  # without row scores the step has none of their work
            offsets = self._row_step(offsets, ids, row_losses, w, row_rate)
        lr = lr * cosine_factor(t + 1.0, t_start, decay_steps, ops)
        (flat,), (m,), (v,), t = adam([flat], [_flatten(grads, layout)], [m], [v], t, lr)
        return loss, (flat, non_trainable, m, v, [offsets], t)

    @staticmethod
    def _row_step(offsets, ids, losses, w, row_rate):
        """The rows' scores after a step: one step of gradient descent on the
        batch's loss weighted by the softmax of the scores (``row_step``)."""
        d = ops.take(offsets, ids)
        step = row_step(d, ops.cast(ops.stop_gradient(losses), d.dtype),
                        ops.cast(w, d.dtype), ops.cast(row_rate, d.dtype), ops)
        # A score only lowers a row's weight: it marks rows the network cannot
        # fit, and leaves the others the weight their features give. (A batch
        # holds each row, or slot, once: its ids do not repeat.)
        return ops.scatter_update(offsets, ops.expand_dims(ids, 1), ops.minimum(d + step, 0.0))

    def _holders(self):
        """The network's variables: trainable, non-trainable (listed once:
        Keras walks every layer for them, 0.4 ms each time on the default
        network, 8 ms of a 100,000-row fit on JAX)."""
        if self._variables is None:
            self._variables = (self.network.trainable_variables,
                               self.network.non_trainable_variables)
        return self._variables

    def _own_state(self):
        """The trainer's own values: (Adam m, Adam v, [row scores], Adam t)."""
        return self.adam_m, self.adam_v, [self.row_offsets], self.adam_t

    def _set_own_state(self, own):
        m, v, (offsets,), t = own
        self.adam_m, self.adam_v, self.row_offsets, self.adam_t = list(m), list(v), offsets, t

    def _state(self):
        """The whole state as ``_pure_step`` takes it (JAX's trainer, which
        trains unpadded: ``make_trainer``)."""
        return tuple([v.value for v in group] for group in self._holders()) + self._own_state()

    def _assign(self, state):
        for group, values in zip(self._holders(), state[:2]):
            for holder, value in zip(group, values):
                holder.assign(value)
        self._set_own_state(state[2:])

    def _cached(self, kind, make):
        """The compiled loop of this architecture, made by ``make`` if new."""
        if self._architecture is None:  # (1.6 ms; the backbone is the trainer's for good)
            self._architecture = _architecture_key(self.backbone, self.loss_kind,
                                                   self.first_kernel is not None)
        key = self._architecture + (kind, bool(self.row_rate))
        compiled = _COMPILED.get(key)
        if compiled is None:
            self._compute_network()  # built eagerly, before any tracing
            compiled = _COMPILED[key] = make()
            while len(_COMPILED) > _COMPILED_MAX:
                _COMPILED.popitem(last=False)
        _COMPILED.move_to_end(key)
        return compiled

    def _pure_groups(self, state, hyper, xs, ws, ys, ids, groups, group_steps, rows, rule,
                     gradient):
        """Runs ``groups`` groups of ``group_steps`` batches each, in the graph.

        A group is an epoch, or a chunk of a larger epoch. After each group: a
        group whose loss is not finite (divergence) is undone and ends the call,
        so the weights stay the last finite ones without a copy of them after
        every epoch; with ``rule``'s ``check`` on, scikit-learn's MLP stopping
        rule on the epoch loss (``total / rows``: more than ``patience`` epochs
        without an improvement of ``tol`` on ``best``) ends it too. Backend-neutral
        (``keras.ops``). Returns ``(state, summed row losses of each group, groups
        run)``.
        """
        check, tol, patience, best, bad = rule
        acc = best.dtype  # float64 on TensorFlow; JAX sums in the data's dtype
        slots = ops.arange(ops.shape(xs)[0])
        trainable, non_trainable, m, v, offsets, t = state
        layout = _layout(trainable)
        state = (_flatten(trainable, layout), non_trainable, _flatten(m, layout),
                 _flatten(v, layout), offsets, t)

        def group(g, totals, best, bad, stop, state):
            start = g * group_steps

            def step(i, carry):
                total, state = carry
                j = start + i
                loss, state = self._pure_step(state, hyper, xs[j], ws[j], ys[j], ids[j],
                                              gradient, layout)
                rows_j = ops.sum(ops.cast(ws[j] > 0, acc))
                return total + ops.cast(loss, acc) * rows_j, state

            total, new_state = ops.fori_loop(0, group_steps, step, (ops.zeros((), acc), state))
            finite = ops.isfinite(total)
            state = keras.tree.map_structure(
                lambda new, old: ops.where(finite, new, old), new_state, state)
            loss = total / rows
            bad = ops.where(loss > best - tol, bad + 1, ops.zeros_like(bad))
            best = ops.minimum(best, loss)
            stop = ops.logical_or(ops.logical_not(finite), ops.logical_and(check, bad > patience))
            totals = ops.where(slots == g, total, totals)
            return g + 1, totals, best, bad, stop, state

        carry = (ops.zeros((), "int32"), ops.zeros(ops.shape(slots), acc), best, bad,
                 ops.zeros((), "bool"), state)
        ran, totals, _, _, _, state = ops.while_loop(
            lambda g, totals, best, bad, stop, state: ops.logical_and(g < groups,
                                                                      ops.logical_not(stop)),
            group, carry)
        flat, non_trainable, m, v, offsets, t = state
        state = (_unflatten(flat, layout), non_trainable, _unflatten(m, layout),
                 _unflatten(v, layout), offsets, t)
        return state, totals, ran

    def prepare(self, X, W, Y, batch_size, epochs, whole_epochs=True, cosine=False,
                sure_epochs=None):
        """Sets up the compiled loop and its buffers for a fit on these rows.

        The batches are gathered, in NumPy, into chunks of a fixed shape of up
        to ``CHUNK_ROWS`` rows; each chunk is one compiled call that runs its
        steps in a loop inside the graph (``tf.while_loop`` or
        ``jax.lax.while_loop``), so no Python runs between two batches and the
        compiled code does not depend on the number of rows. When an epoch fits
        in a chunk and ``whole_epochs`` (no validation to run after each epoch),
        a call runs as many whole epochs as fit, each shuffled on its own, and
        applies the stopping rule between them: a small table pays a call's
        overhead (about two thirds of an epoch's time at 263 rows, measured)
        once per chunk instead of once per epoch. Every call gets chunks of one
        shape, whatever the number of rows. ``_make_loop`` is the backend's
        (``training_tensorflow``, ``training_jax``). With ``cosine``, the
        learning rate decays to 0 over the ``epochs`` planned (``cosine_factor``).
        A ``batch_size`` above the number of rows makes each epoch one batch of
        every row and weightless fillers.
        """
        self._data = X, W, Y
        self.batch_size = batch_size
        self._alpha_over_n = self.alpha / float(np.sum(W, dtype=np.float64))
        per_epoch = -(-len(X) // batch_size)
        self._t_start = float(to_numpy(self.adam_t))
        self._decay_steps = float(per_epoch * epochs) if cosine else 0.0
        steps, sure_steps = per_epoch * epochs, per_epoch * (sure_epochs or epochs)
        per_chunk = max(1, CHUNK_ROWS // batch_size)
        if whole_epochs and per_epoch <= per_chunk:
            self.epochs_per_call = max(1, min(epochs, per_chunk // per_epoch))
            per_chunk = self.epochs_per_call * per_epoch
        else:
            self.epochs_per_call = 1
            if per_epoch > per_chunk and self._compiled_from_start(steps, sure_steps):
                width = self._padded[2] if self._padded is not None else X[0].size
                step_bytes = X.itemsize * max(1, width) * batch_size
                per_chunk = max(per_chunk, min(per_chunk * COMPILED_CHUNKS,
                                               CHUNK_BYTES // step_bytes))
        self._buffers = [np.empty((per_chunk, batch_size) + a.shape[1:], a.dtype) for a in (X, W, Y)]
        if self._padded is not None:  # zero columns up to the padded width, never filled
            self._buffers[0] = np.zeros(self._buffers[0].shape[:2] + (self._padded[2],), X.dtype)
        self._buffers.append(np.zeros((per_chunk, batch_size), np.int32))  # row indices
        # The rows' scores start at 0 with every fit and live here, in NumPy.
        # Each call gets them in a vector of one score per row slot of a chunk,
        # whatever the number of rows, so that no number of rows retraces (or,
        # under XLA and JAX, recompiles) the loop; without row scores the
        # vector is a placeholder of one element.
        self._scores = np.zeros(len(X), self.dtype) if self.row_rate else None
        self.row_offsets = np.zeros(per_chunk * batch_size if self.row_rate else 1, self.dtype)
        self._loop = self._make_loop(steps, sure_steps)

    def _fill(self, batches, pads):
        """Gathers the rows of ``batches`` (row indices, one batch a row) into the
        buffers; the last batch of each epoch has ``pad`` filler rows, of weight
        zero, which change nothing (the loss, the attention's softmax and its
        batch norm all weigh rows by ``w``): every step has the shape of the
        others, and an epoch needs no call of its own for a smaller last batch
        (nor, under XLA, a compilation of its own)."""
        for i, (source, buffer) in enumerate(zip(self._data, self._buffers)):
            out = buffer[:len(batches)]
            if i == 0 and self._padded is not None:  # the real columns of padded rows
                out = out[..., :self._padded[1]]
            np.take(source, batches, axis=0, out=out)
        self._buffers[3][:len(batches)] = batches
        n = len(self._data[0])
        for last, pad in pads:
            if pad:
                self._buffers[1][last, self.batch_size - pad:] = 0
                # Slots of their own, past the rows' (an epoch's batches have
                # n + pad), so that a filler never shares a batch with its
                # row's score (a batch larger than the table repeats its rows).
                self._buffers[3][last, self.batch_size - pad:] = np.arange(n, n + pad)
        # Always the whole buffers (the loop reads only the batches it runs): XLA
        # and JAX compile for each shape, and TensorFlow's graph, though it takes
        # any, ran its first call with a new shape 0.6 s slower (measured).
        return self._buffers

    def _batches(self, order):
        """The epoch's batches (row indices), the last one filled up to
        ``batch_size`` by repeating the epoch's first rows (as fillers, of
        weight 0: ``_fill``); and the number of fillers."""
        pad = -len(order) % self.batch_size
        return np.resize(order, len(order) + pad).reshape(-1, self.batch_size), pad

    def run_epochs(self, orders, rule, stop=None):
        """Passes over the rows, one per order in ``orders`` (at most
        ``epochs_per_call`` of them).

        ``rule``: ``(check, tol, patience, best loss, epochs without
        improvement)``, scikit-learn's MLP stopping rule, applied after each
        epoch when ``check``. Returns ``(losses, rows)``: the mean loss (weighted
        by rows) of each whole epoch run, fewer than ``orders`` when the rule
        stopped, or the loss diverged (the last loss is then not finite); and,
        when ``stop()`` turned true (Ctrl-C) in an epoch larger than a chunk,
        the rows that epoch trained on before it stopped (else 0).
        """
        n = len(orders[0])
        if len(orders) > 1 or self.epochs_per_call > 1:
            parts = [self._batches(order) for order in orders]
            per_epoch = len(parts[0][0])
            chunk = self._fill(np.concatenate([b for b, _ in parts]),
                               [((e + 1) * per_epoch - 1, pad) for e, (_, pad) in enumerate(parts)])
            self._scores_in(None)
            totals = self._loop(*chunk, len(orders), per_epoch, float(n), rule)
            self._scores_out(None)
            return list(totals / n), 0
        # One epoch, in chunks: the rule is the caller's after the epoch.
        batches, pad = self._batches(orders[0])
        per_chunk = len(self._buffers[0])
        total = 0.0
        for start in range(0, len(batches), per_chunk):
            idx = batches[start:start + per_chunk]
            last = start + per_chunk >= len(batches)
            chunk = self._fill(idx, [(len(idx) - 1, pad if last else 0)])
            self._scores_in(idx)
            # One group always runs (a non-finite one is undone, and its total kept).
            total += self._loop(*chunk, 1, len(idx), 1.0, (False, 0.0, 0, np.inf, 0))[0]
            self._scores_out(idx)
            done = min(n, (start + len(idx)) * self.batch_size)
            if stop is not None and stop() and done < n:
                return [], done
        return [total / n], 0

    def _scores_in(self, batches):
        """Puts the rows' scores where the next call reads them: by row index
        when the chunk holds whole epochs (``batches`` None; every row has a
        slot), else by slot, the chunk's row ids made slot numbers."""
        if self._scores is None:
            return
        offsets = np.zeros(len(self.row_offsets), self.dtype)
        if batches is None:
            offsets[:len(self._scores)] = self._scores
        else:
            offsets[:batches.size] = self._scores[batches.ravel()]
            self._buffers[3][:len(batches)] = np.arange(batches.size).reshape(batches.shape)
        self.row_offsets = offsets

    def _scores_out(self, batches):
        """Takes the rows' scores back from the call (``_scores_in``'s layout)."""
        if self._scores is None:
            return
        offsets = to_numpy(self.row_offsets)
        if batches is None:
            self._scores[:] = offsets[:len(self._scores)]
        else:
            # Filler rows (weight 0) repeat a row of the epoch, unchanged: skip them.
            real = self._buffers[1][:len(batches)].ravel() > 0
            self._scores[batches.ravel()[real]] = offsets[:batches.size][real]

    def release(self):
        """Drops the training data and buffers (the compiled loop stays cached)."""
        self._data = self._buffers = None

    def score_rows(self, X, W, Y, batch_size, epochs, rng, shuffle=True):
        """The scores of rows the network did not train on (those held out for
        early stopping): ``epochs`` passes of the rows' rule (``row_step``),
        in shuffled batches as in training, over their losses under the
        trained network, which is left as it is. The rule runs in NumPy on the
        rows' scores alone: a compiled loop of training steps at learning rate
        0 did the same work with a second trace and a gradient per step."""
        from skrowattn.inference import make_plan

        losses = to_numpy(per_row_loss(self.loss_kind, Y, make_plan(self.backbone).logits(X)))
        scores = np.zeros(len(X), self.dtype)
        batch_size = min(batch_size, len(X))
        for _ in range(epochs):
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            for ids in np.split(order, range(batch_size, len(X), batch_size)):
                d = scores[ids]
                step = row_step(d, losses[ids].astype(d.dtype), W[ids].astype(d.dtype),
                                self.row_rate, np)
                scores[ids] = np.minimum(d + step, 0.0)
        return scores.astype(np.float64)

    def row_scores(self, n):
        """The learned scores of the ``n`` rows of the last fit (``prepare``'s
        order), in log-weight units (0 without row scores)."""
        if self._scores is None:
            return np.zeros(n)
        return np.asarray(self._scores[:n], np.float64)

    def optimizer_state(self):
        """Adam's moments and step count as NumPy values (to pickle, or to undo a
        failed fit with)."""
        def values(tensors):  # (the network's own shapes, padded or not)
            return self._unpad([to_numpy(x) for x in tensors])

        return values(self.adam_m), values(self.adam_v), float(to_numpy(self.adam_t))

    def set_optimizer_state(self, state):
        """Restores Adam's state from ``optimizer_state()``'s value."""
        m, v, t = state
        own = self._unpad(self.adam_m) + self._unpad(self.adam_v)
        for old, new in zip(own, list(m) + list(v), strict=True):
            if tuple(np.shape(old)) != tuple(np.shape(new)):
                raise ValueError("The optimizer state does not match the network's weights.")
        self.adam_m = self._pad([np.array(x, self.dtype) for x in m], np)
        self.adam_v = self._pad([np.array(x, self.dtype) for x in v], np)
        self.adam_t = np.array(t, self.dtype)
