"""The TensorFlow backend's compiled training loop."""

import contextlib
import os

from skrowattn.training import Trainer

# The fewest steps a TensorFlow fit must plan to be worth an XLA compilation.
# Measured on 2 cores (100,000 x 32 rows, batch 256): XLA steps run twice as
# fast, and a first fit of 1,950 steps took as long with XLA's compilation as
# without; later fits of the same shapes (cross-validation folds, a search's
# candidates) reuse the compilation, so from 1,000 steps they gain. In float32
# (the networks' dtype since 2026-11-27) XLA's steps are 1.5x as fast: a
# threshold of 10,000 made single fits faster (the first 100,000-row fit
# 4.2 s against 6.6 s; the table suite 3.4x the MLP's fit time against 3.75x)
# but repeated fits slower (the same fit's median of three 1.0 s against
# 0.68 s, 0.83x the MLP's training throughput against 1.13x), so 1,000 stays.
XLA_MIN_STEPS = int(os.environ.get("SKROWATTN_XLA_MIN_STEPS", 1000))


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

    def _make_loop(self, steps):
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
            def loop(holders, own, hyper, xs, ws, ys, ids, groups, group_steps, rows, rule):
                # The network's variables come in as arguments, not captures,
                # so one trace serves every fit of this architecture; the
                # trainer's own state goes in and out as values.
                state = tuple([tf.identity(h) for h in group] for group in holders) + own
                state, totals, ran = self._pure_groups(state, hyper, xs, ws, ys, ids, groups,
                                                       group_steps, rows, rule, gradient)
                for group, values in zip(holders, state[:2]):
                    for holder, value in zip(group, values):
                        holder.assign(value)
                return totals, ran, state[2:]

            # TensorFlow counts traces by the Python function's code, which
            # every architecture's loop shares: from the fifth network of a
            # session (a search over hidden sizes, a suite of tables) it warned
            # of "retracing" that is each loop's first and only trace. It
            # omits the warning the same way for the functions it restores.
            loop._omit_frequent_tracing_warning = True
            return loop

        # By this fit's own planned steps alone (XLA_MIN_STEPS): shorter fits
        # used to reuse XLA where it had compiled their shapes before, and
        # XLA's float32 rounding, amplified by training, made a fit's model
        # depend on what ran before it (10,000 rows, 500 steps, one
        # random_state: predicted probabilities up to 0.086 apart).
        xla = steps >= XLA_MIN_STEPS
        self.loop_calls = {"xla": 0, "graph": 0}  # this fit's, for the tests
        hyper = tuple(tf.constant(value, self.dtype) for value in self._hyper())
        holders = tuple([v.value for v in group] for group in self._holders())  # tf.Variables
        kernel = padded = None
        if self._padded is not None:
            # The loop trains a padded copy of the first kernel (Trainer._pad),
            # made from the network's before each call and copied back after.
            index = self._padded[0]
            kernel = holders[0][index]
            padded = holders[0][index] = tf.Variable(self._pad_kernel(kernel))

        compiled = self._cached("xla" if xla else "graph", lambda: make(xla))

        def run(xs, ws, ys, ids, groups, group_steps, rows, rule):
            check, tol, patience, best, bad = rule
            rule = (tf.constant(check), tf.constant(tol, tf.float64),
                    tf.constant(patience, tf.int32), tf.constant(best, tf.float64),
                    tf.constant(bad, tf.int32))
            own = tf.nest.map_structure(tf.convert_to_tensor, self._own_state())
            if padded is not None:
                padded.assign(self._pad_kernel(kernel))
            with _without_grappler():
                totals, ran, own = compiled(holders, own, hyper, xs, ws, ys, ids,
                                            tf.constant(groups), tf.constant(group_steps),
                                            tf.constant(rows, tf.float64), rule)
            if padded is not None:
                kernel.assign(padded[:self._padded[1]])
            self._set_own_state(own)
            self.loop_calls["xla" if xla else "graph"] += 1
            return totals.numpy()[:int(ran)]

        return run
