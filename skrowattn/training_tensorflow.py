"""The TensorFlow backend's compiled training loop."""

import contextlib
import os

from skrowattn.training import Trainer

# The fewest steps a TensorFlow fit must be sure to run (its stopping rules
# aside) to start under XLA. Measured on 2 cores (100,000 x 32 rows, batch
# 256): XLA steps run twice as fast, and a first fit of 1,950 steps took as
# long with XLA's compilation as without; later fits of the same shapes
# (cross-validation folds, a search's candidates) reuse the compilation, so
# from 1,000 steps they gain. In float32 (the networks' dtype since
# 2026-11-27) XLA's steps are 1.5x as fast: a threshold of 10,000 made single
# fits faster (the first 100,000-row fit 4.2 s against 6.6 s) but repeated
# fits slower (the same fit's median of three 1.0 s against 0.68 s, 0.83x the
# MLP's training throughput against 1.13x), so 1,000 stays.
XLA_MIN_STEPS = int(os.environ.get("SKROWATTN_XLA_MIN_STEPS", 1000))

# A fit that may stop sooner (early stopping, the training loss's rule) moves
# to XLA once it has run this many steps on the graph executor, if it may run
# XLA_MIN_STEPS more: what it then spends on compiling (1.5-2 s at the
# suite's widths) is about what the graph's slower steps have cost so far, the
# classic rule for paying once against paying as you go, which is never more
# than twice the cost of the better choice made in hindsight. Measured on the
# table suite's 8 tables of 5,000 to 15,000 rows (early stopping on, 3 splits
# each): fitting took 25.2 s, against 29.1 s starting under XLA whenever the
# planned steps reached 1,000 (most of those fits stopped after 260 to 2,400
# steps) and 25.7 s never moving to XLA (docs/benchmarks.md).
XLA_SWITCH_STEPS = 2000


@contextlib.contextmanager
def _without_grappler():
    """Runs this thread's function calls without Grappler's graph rewrites.

    TensorFlow rewrites a function's graph the first time it runs; for the
    training loop that took 0.9 s of a new architecture's first call of 2.1 s
    (breast_cancer, 2 cores) and made later steps no faster (1.60-1.83 s
    against 1.61-1.73 s for 200 epochs, measured). The call options are
    thread-local, so the user's own functions keep their rewrites; their
    setter is not public API, and without it the calls run as before.
    """
    try:
        from tensorflow.core.protobuf import config_pb2
        from tensorflow.python.eager import context

        ctx = context.context()
        saved = ctx.function_call_options
        config = config_pb2.ConfigProto.FromString(saved.config_proto_serialized)
        config.graph_options.rewrite_options.disable_meta_optimizer = True
        ctx.function_call_options = context.FunctionCallOptions(
            executor_type=saved.executor_type, config_proto=config)
    except (ImportError, AttributeError, TypeError, ValueError):
        yield
        return
    try:
        yield
    finally:
        ctx.function_call_options = saved


class TensorFlowTrainer(Trainer):
    """``Trainer`` whose loop is a ``tf.function``, under XLA for long fits."""

    def _any_rows_and_width(self, args):
        """The loop's arguments as ``tf.TensorSpec``s, with the dimensions that
        vary between fits of one architecture unknown: the steps of a chunk,
        and for the default network the input width (of the rows, of the first
        kernel and of its Adam moments). Traced once with these, the loop
        serves every table (``_architecture_key`` leaves the width out).
        Traced with its first call's shapes, it was traced again for each new
        padded width or number of steps a call, 0.5-0.6 s each: 12 of the
        table suite's 28 first splits paid one, now 5 (a new loss, number of
        classes, or batch size)."""
        import tensorflow as tf

        values, (m, v, offsets, t), hyper, xs, ws, ys, ids = args[:7]

        def spec(x, unknown=()):
            shape = [None if i in unknown else d for i, d in enumerate(x.shape)]
            return tf.TensorSpec(shape, x.dtype)

        def kernels(group):
            return [spec(x, (0,) if i == self.first_kernel else ()) for i, x in enumerate(group)]

        specs = list(tf.nest.map_structure(spec, args))
        specs[0] = (kernels(values[0]), specs[0][1])
        specs[1] = (kernels(m), kernels(v), [spec(offsets[0], (0,))], specs[1][3])
        specs[3] = spec(xs, (0,) if self.first_kernel is None else (0, 2))
        for i, x in ((4, ws), (5, ys), (6, ids)):
            specs[i] = spec(x, (0,))
        return specs

    def _compiled_from_start(self, steps, sure_steps):
        return sure_steps >= XLA_MIN_STEPS

    def _make_loop(self, steps, sure_steps):
        import tensorflow as tf

        def gradient(loss_fn, trainable):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                loss, aux = loss_fn(trainable)
            return (loss, aux), tape.gradient(loss, trainable)

        def make(xla):
            # No AutoGraph: the loops are explicit graph ops already, and its
            # source-to-source conversion of this code and Keras' took 3.8 s of a
            # first fit's 6.8 s (breast_cancer, 2 cores; 3.1 s without it).
            @tf.function(reduce_retracing=True, jit_compile=xla, autograph=False)
            def loop(values, own, hyper, xs, ws, ys, ids, groups, group_steps, rows, rule):
                # The network's weights come in and go out as values, not as
                # variables, so that one trace, made with the width and the
                # chunk's steps unknown (_any_rows_and_width), serves every fit
                # of this architecture.
                state, totals, ran = self._pure_groups(values + own, hyper, xs, ws, ys, ids,
                                                       groups, group_steps, rows, rule, gradient)
                return totals, ran, state

            # TensorFlow counts traces by the Python function's code, which
            # every architecture's loop shares: from the fifth network of a
            # session (a search over hidden sizes, a suite of tables) it warned
            # of "retracing" that is each loop's first and only trace. It
            # omits the warning the same way for the functions it restores.
            loop._omit_frequent_tracing_warning = True
            return loop

        # By this fit's own steps alone, never by what XLA has compiled before:
        # XLA's float32 rounding, amplified by training, would make a fit's
        # model depend on what ran before it (10,000 rows, 500 steps, one
        # random_state: predicted probabilities up to 0.086 apart).
        if self._compiled_from_start(steps, sure_steps):
            switch = 0
        elif steps >= XLA_SWITCH_STEPS + XLA_MIN_STEPS:
            switch = XLA_SWITCH_STEPS
        else:
            switch = None  # the graph throughout
        done = 0  # this fit's steps
        self.loop_calls = {"xla": 0, "graph": 0}  # this fit's, for the tests
        holders = tuple([v.value for v in group] for group in self._holders())  # tf.Variables
        # The weights' values between calls, the first kernel padded (Trainer._pad);
        # written to the network's variables after each call.
        trainable, non_trainable = ([tf.convert_to_tensor(h) for h in group] for group in holders)
        values = (self._pad(trainable), non_trainable)

        def run(xs, ws, ys, ids, groups, group_steps, rows, rule):
            nonlocal values, done
            xla = switch is not None and done >= switch
            compiled = self._cached("xla" if xla else "graph", lambda: make(xla))
            check, tol, patience, best, bad = rule
            rule = (tf.constant(check), tf.constant(tol, tf.float64),
                    tf.constant(patience, tf.int32), tf.constant(best, tf.float64),
                    tf.constant(bad, tf.int32))
            own = tf.nest.map_structure(tf.convert_to_tensor, self._own_state())
            hyper = tuple(tf.constant(value, self.dtype) for value in self._hyper())
            args = (values, own, hyper, xs, ws, ys, ids, tf.constant(groups),
                    tf.constant(group_steps), tf.constant(rows, tf.float64), rule)
            with _without_grappler():
                if not compiled.experimental_get_tracing_count():
                    compiled.get_concrete_function(*self._any_rows_and_width(args))
                totals, ran, state = compiled(*args)
            values = state[:2]
            for group, new in zip(holders, (self._unpad(values[0]), values[1])):
                for holder, value in zip(group, new):
                    holder.assign(value)
            self._set_own_state(state[2:])
            self.loop_calls["xla" if xla else "graph"] += 1
            done += int(ran) * group_steps
            return totals.numpy()[:int(ran)]

        return run
