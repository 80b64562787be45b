"""The TensorFlow backend's compiled training loop."""

import os

from skrowattn.training import Trainer

# The fewest steps a TensorFlow fit must plan to be worth an XLA compilation.
# Measured on 2 cores (100,000 x 32 rows, batch 256): XLA steps run twice as
# fast, and a first fit of 1,950 steps took as long with XLA's compilation as
# without; later fits of the same shapes (cross-validation folds, a search's
# candidates) reuse the compilation, so from 1,000 steps they gain.
XLA_MIN_STEPS = int(os.environ.get("SKROWATTN_XLA_MIN_STEPS", 1000))


class TensorFlowTrainer(Trainer):
    """``Trainer`` whose loop is a ``tf.function``, under XLA for long fits."""

    def _make_loop(self, steps):
        import tensorflow as tf

        xla = steps >= XLA_MIN_STEPS

        def gradient(loss_fn, trainable):
            with tf.GradientTape() as tape:
                tape.watch(trainable)
                loss, aux = loss_fn(trainable)
            return (loss, aux), tape.gradient(loss, trainable)

        def make():
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

            return loop

        compiled = self._cached("xla" if xla else "graph", make)
        hyper = tuple(tf.constant(value, self.dtype) for value in self._hyper())
        holders = tuple([v.value for v in group] for group in self._holders())  # tf.Variables

        def run(xs, ws, ys, ids, groups, group_steps, rows, rule):
            check, tol, patience, best, bad = rule
            rule = (tf.constant(check), tf.constant(tol, tf.float64),
                    tf.constant(patience, tf.int32), tf.constant(best, tf.float64),
                    tf.constant(bad, tf.int32))
            own = tf.nest.map_structure(tf.convert_to_tensor, self._own_state())
            totals, ran, own = compiled(holders, own, hyper, xs, ws, ys, ids,
                                        tf.constant(groups), tf.constant(group_steps),
                                        tf.constant(rows, tf.float64), rule)
            self._set_own_state(own)
            return totals.numpy()[:int(ran)]

        return run
