"""The JAX backend's compiled training loop."""

import numpy as np

from skrowattn.training import Trainer


class JaxTrainer(Trainer):
    """``Trainer`` whose loop is a ``jax.jit`` function of the state's values."""

    def _compiled_from_start(self, steps, sure_steps):
        return True

    def _make_loop(self, steps, sure_steps):
        import jax

        def gradient(loss_fn, trainable):
            return jax.value_and_grad(loss_fn, has_aux=True)(trainable)

        def make():
            @jax.jit
            def loop(state, hyper, xs, ws, ys, ids, groups, group_steps, rows, rule):
                return self._pure_groups(state, hyper, xs, ws, ys, ids, groups, group_steps,
                                         rows, rule, gradient)

            return loop

        compiled = self._cached("jit", make)
        jnp = jax.numpy

        def run(xs, ws, ys, ids, groups, group_steps, rows, rule):
            check, tol, patience, best, bad = rule
            acc = xs.dtype  # JAX computes in 32 bits unless x64 is on
            rule = (jnp.asarray(check), jnp.asarray(tol, acc), jnp.asarray(patience, "int32"),
                    jnp.asarray(best, acc), jnp.asarray(bad, "int32"))
            hyper = tuple(jnp.asarray(value, acc) for value in self._hyper())
            state, totals, ran = compiled(self._state(), hyper, xs, ws, ys, ids, groups,
                                          group_steps, jnp.asarray(rows, acc), rule)
            self._assign(state)
            return np.asarray(totals, np.float64)[:int(ran)]

        return run
