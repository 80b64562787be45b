"""Training (skrowattn.training): stopping rules, early stopping, continuing, progress."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

from _helpers import FAST, quiet_fit, rounding


def test_xla_and_graph_training_agree(cancer, monkeypatch):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA against graph is the TensorFlow trainer's choice")
    from skrowattn import training_tensorflow as training

    X, y = cancer
    results = []
    for steps in (0, 10**9):  # XLA always, XLA never
        monkeypatch.setattr(training, "XLA_MIN_STEPS", steps)
        clf = quiet_fit(RowAttentionClassifier(max_iter=3, batch_size=32, random_state=0), X, y)
        results.append((clf.loss_curve_, clf.predict_proba(X)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-4)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-4)


def test_n_iter_no_change_above_max_iter_runs_exactly_max_iter(cancer):
    clf = RowAttentionClassifier(max_iter=7, n_iter_no_change=100, tol=10.0,
                                 learning_rate="constant")
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        clf.fit(*cancer)
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_a_cosine_schedule_that_runs_to_its_end_does_not_warn(cancer):
    clf = RowAttentionClassifier(max_iter=7, n_iter_no_change=100, tol=10.0,
                                 learning_rate="cosine")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(*cancer)
    assert clf.n_iter_ == 7


def test_cosine_factor_decays_from_one_to_zero():
    from skrowattn.training import cosine_factor

    t0, steps = 12.0, 8.0
    t = t0 + 1.0 + np.array([0.0, 2.0, 4.0, 6.0, 8.0, 20.0])  # Adam's count at each step
    np.testing.assert_allclose(cosine_factor(t, t0, steps, np),
                               [1.0, 0.5 + 0.5 * np.cos(np.pi / 4), 0.5,
                                0.5 - 0.5 * np.cos(np.pi / 4), 0.0, 0.0], atol=1e-15)
    np.testing.assert_array_equal(cosine_factor(t, t0, 0.0, np), np.ones(6))  # constant


def _weights(est):
    """The network's trainable weights, as one vector (the moving statistics
    update whatever the learning rate)."""
    return np.concatenate([np.ravel(w) for w in est.model_.trainable_weights])


def test_cosine_schedule_scales_each_step(cancer):
    """One full batch per epoch: the second of two steps is taken at half the
    rate (the cosine's middle), from the same first step; Adam's moments do
    not depend on the rate, so its update is half the constant rate's."""
    X, y = cancer
    kw = dict(hidden_layer_sizes=(8,), batch_size=len(X), random_state=0)
    first = _weights(quiet_fit(RowAttentionClassifier(max_iter=1, learning_rate="constant", **kw),
                               X, y))
    cosine = _weights(quiet_fit(RowAttentionClassifier(max_iter=2, learning_rate="cosine", **kw),
                                X, y))
    constant = _weights(quiet_fit(RowAttentionClassifier(max_iter=2, learning_rate="constant",
                                                         **kw), X, y))
    assert np.abs(first - constant).max() > 1e-4
    # (The steps are about 4e-3: a factor 1% off 0.5 would leave 4e-5.)
    atol = 1e-9 if np.asarray(first).dtype == np.float64 else 1e-7
    np.testing.assert_allclose(first - cosine, 0.5 * (first - constant), atol=atol)
    # A one-epoch cosine fit takes the full rate.
    one = _weights(quiet_fit(RowAttentionClassifier(max_iter=1, learning_rate="cosine", **kw),
                             X, y))
    np.testing.assert_allclose(one, first, atol=1e-12)


def test_warm_start_restarts_the_schedule_and_partial_fit_keeps_the_rate(cancer):
    X, y = cancer
    kw = dict(hidden_layer_sizes=(8,), batch_size=len(X), random_state=0)
    a = quiet_fit(RowAttentionClassifier(max_iter=2, learning_rate="cosine", warm_start=True,
                                         **kw), X, y)
    b = quiet_fit(RowAttentionClassifier(max_iter=2, learning_rate="cosine", warm_start=True,
                                         **kw), X, y)
    # The second fit's one step is its schedule's first: the full rate, as constant.
    quiet_fit(a.set_params(max_iter=1), X, y)
    quiet_fit(b.set_params(max_iter=1, learning_rate="constant"), X, y)
    np.testing.assert_allclose(_weights(a), _weights(b), atol=1e-12)
    # partial_fit has no horizon: the rate stays learning_rate_init.
    c, d = (RowAttentionClassifier(learning_rate=rate, **kw) for rate in ("cosine", "constant"))
    for _ in range(3):
        c.partial_fit(X, y, classes=[0, 1])
        d.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_allclose(_weights(c), _weights(d), atol=1e-12)


def test_stops_when_loss_stalls(cancer):
    clf = RowAttentionClassifier(max_iter=200, n_iter_no_change=2, tol=10.0).fit(*cancer)
    # MLP's rule: the first epoch sets best_loss_, and training stops once more
    # than n_iter_no_change epochs in a row stall.
    assert clf.n_iter_ == 4


def test_early_stopping_records_validation_scores(cancer):
    X, y = cancer
    clf = RowAttentionClassifier(
        hidden_layer_sizes=(16,), early_stopping=True, n_iter_no_change=3, max_iter=300,
        learning_rate_init=0.01, random_state=0,
    ).fit(X, y)
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == clf.n_iter_ < 300
    # The kept epoch is the one of the lowest held-out log-loss.
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.best_validation_score_ == clf.validation_scores_[best]
    assert 0.8 < clf.best_validation_score_ <= 1.0
    # Training stopped at most n_iter_no_change + 1 epochs after the best one
    # (fewer when the best epoch improved by less than tol).
    assert best + 1 < clf.n_iter_ <= best + 1 + clf.n_iter_no_change + 1
    assert clf.sample_weights_.shape == (len(X),)  # validation rows included


def test_early_stopping_trains_on_while_the_validation_loss_falls():
    # 3.4% positives: the held-out accuracy sits at the majority share for
    # epochs while the model learns; the accuracy-only rule stopped there.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 3))
    y = (rng.random(3000) < 1 / (1 + np.exp(-4 * (X[:, 0] - 2.0)))).astype(int)
    clf = RowAttentionClassifier(early_stopping=True, n_iter_no_change=3, max_iter=60,
                                 random_state=0)
    quiet_fit(clf, X, y)
    flat = clf.validation_scores_[0]
    assert clf.validation_scores_[:5] == [flat] * 5  # longer than n_iter_no_change
    # Training went on, well past the 5 epochs after which the accuracy alone
    # stopped, and kept an epoch whose held-out log-loss fell far.
    assert np.argmin(clf.validation_loss_curve_) >= 2 * 5
    assert min(clf.validation_loss_curve_) < 0.5 * clf.validation_loss_curve_[0]
    assert roc_auc_score(y, clf.predict_proba(X)[:, 1]) > 0.9


def test_early_stopping_auto_holds_out_rows_from_2000_rows():
    from skrowattn.estimators import AUTO_EARLY_STOPPING_ROWS

    X, y = make_classification(n_samples=AUTO_EARLY_STOPPING_ROWS, random_state=0)
    params = dict(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    big = quiet_fit(RowAttentionClassifier(**params), X, y)
    assert len(big.validation_scores_) == len(big.validation_loss_curve_) == big.n_iter_
    assert big.sample_weights_.shape == (len(X),)
    small = quiet_fit(RowAttentionClassifier(**params), X[:-1], y[:-1])
    assert small.validation_scores_ is None and small.validation_loss_curve_ is None
    # Not in partial_fit, as MLPClassifier; an explicit True still holds out rows.
    chunked = RowAttentionClassifier(**params).partial_fit(X, y, classes=[0, 1])
    assert chunked.validation_scores_ is None
    forced = quiet_fit(RowAttentionRegressor(early_stopping=True, **params), X[:300], X[:300, 0])
    assert len(forced.validation_scores_) == forced.n_iter_


def test_loss_decreases_and_random_state_reproduces(cancer):
    X, y = cancer
    a = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    b = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    assert a.loss_curve_[-1] < a.loss_curve_[0]
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    np.testing.assert_array_equal(a.sample_weights_, b.sample_weights_)


def test_verbose_prints_one_line_per_epoch(cancer, capsys):
    quiet_fit(RowAttentionClassifier(max_iter=3, verbose=1, early_stopping=True), *cancer)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.startswith("Iteration")]
    assert len(lines) == 3
    assert all("loss = " in l and "validation score = " in l and "time = " in l for l in lines)


def test_warm_start_continues(cancer):
    clf = quiet_fit(RowAttentionClassifier(warm_start=True, **FAST), *cancer)
    first = clf.model_.get_weights()
    quiet_fit(clf, *cancer)
    assert clf.n_iter_ == 60 and len(clf.loss_curve_) == 60
    assert not np.allclose(first[0], clf.model_.get_weights()[0])


def test_adam_state_is_carried_between_calls(cancer):
    """Adam's moments and step count live in the trainer as values (no Keras
    variables of its own): they advance with every step, a warm-started fit
    continues from them, and a state of the wrong shapes is refused."""
    X, y = cancer
    clf = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(8,), batch_size=100, max_iter=3,
                                           warm_start=True, random_state=0), X, y)
    m, v, t = clf._trainer.optimizer_state()
    batches = -(-len(X) // 100)
    assert t == 3 * batches
    assert all(np.any(a != 0) for a in m) and all(np.all(a >= 0) for a in v)
    assert len(clf._trainer.network.weights) == len(clf.model_.weights)
    quiet_fit(clf, X, y)
    assert clf._trainer.optimizer_state()[2] == 6 * batches
    with pytest.raises(ValueError, match="does not match"):
        clf._trainer.set_optimizer_state((m[:1] + m, v, t))


def test_row_scores_are_the_same_whatever_the_chunks(monkeypatch):
    """The rows' scores live in NumPy and go into each call laid out by row
    (a call of whole epochs) or by slot (an epoch in several chunks): the same
    epochs in either layout give the same scores, and the same network."""
    from skrowattn import training
    from skrowattn.backbone import build_backbone

    X, y = make_classification(n_samples=90, n_features=5, random_state=0)
    X, W = X.astype("float32"), np.ones(len(X), "float32")
    Y = np.eye(2, dtype="float32")[y]
    orders = [np.random.default_rng(e).permutation(len(X)) for e in range(3)]

    def train(chunk_rows, whole):
        monkeypatch.setattr(training, "CHUNK_ROWS", chunk_rows)
        backbone = build_backbone(5, 2, hidden_layer_sizes=(6,), attention_layer=1,
                                  attention_hidden_dim=None, temperature=1.0,
                                  activation="relu", dropout=0.0, dtype="float32", seed=0)
        trainer = training.make_trainer(backbone, "multiclass", 1.0, 0.01, row_rate=0.3)
        trainer.prepare(X, W, Y, 16, len(orders), whole_epochs=whole)
        rule = (False, 0.0, 0, np.inf, 0)
        if whole:
            trainer.run_epochs(orders, rule)
        else:
            for order in orders:
                trainer.run_epochs([order], rule)
        return trainer.row_scores(len(X)), backbone.get_weights()

    by_row = train(16_384, True)   # one call runs the three epochs
    assert np.any(by_row[0] < 0)
    # An epoch a call (its filler rows repeat rows of the same call), and an
    # epoch of 6 batches in 3 calls of 2.
    for by_slot in (train(16_384, False), train(32, False)):
        np.testing.assert_allclose(by_slot[0], by_row[0], rtol=1e-5, atol=1e-6)
        for a, b in zip(by_slot[1], by_row[1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_regressors_penalty_follows_the_training_noise():
    """alpha_scaling="noise": after 10 epochs the penalty is scaled by the
    training rows' unexplained variance: up for noise, down for a smooth
    signal; None, partial_fit and fits of at most 10 epochs keep alpha."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    smooth = np.sin(X[:, 0]) + X[:, 1] ** 2
    noise = rng.normal(size=300)

    def fit(y, **params):
        return RowAttentionRegressor(random_state=0, **{"max_iter": 20, **params}).fit(X, y)

    low, high = fit(smooth), fit(noise)
    assert low.alpha_ < low.alpha < high.alpha_ <= 4 * high.alpha
    plain = fit(smooth, alpha_scaling=None)
    assert plain.alpha_ == plain.alpha
    assert not np.allclose(plain.predict(X), low.predict(X))
    assert fit(smooth, max_iter=10).alpha_ == 10.0
    assert RowAttentionRegressor(random_state=0).partial_fit(X, smooth).alpha_ == 10.0
    with pytest.raises(ValueError, match="alpha_scaling"):
        fit(smooth, alpha_scaling="yes")


def test_jax_fits_keep_their_compilation_cache_on_disk_while_they_run(tmp_path, monkeypatch):
    """On JAX, a fit's compilations go to SKROWATTN_JAX_CACHE_DIR (a new process
    then loads them), and JAX's settings are the user's again after the fit; a
    cache the user set up is left as it is. On TensorFlow nothing is written."""
    import keras

    ours = tmp_path / "ours"
    monkeypatch.setenv("SKROWATTN_JAX_CACHE_DIR", str(ours))
    X, y = make_classification(60, 5, random_state=0)

    def fit(width):  # a network new to this process: its loop is compiled
        RowAttentionClassifier(hidden_layer_sizes=(width,), max_iter=2, random_state=0).fit(X, y)

    fit(7)
    if keras.backend.backend() != "jax":
        assert not ours.exists()
        return
    import jax

    assert any(p.name.startswith("jit_loop") for p in ours.iterdir())
    assert jax.config.jax_compilation_cache_dir is None
    assert jax.config.jax_persistent_cache_min_compile_time_secs == 1.0
    before = set(ours.iterdir())
    theirs = tmp_path / "theirs"
    jax.config.update("jax_compilation_cache_dir", str(theirs))
    try:
        fit(9)
        assert jax.config.jax_compilation_cache_dir == str(theirs)
        assert jax.config.jax_persistent_cache_min_compile_time_secs == 1.0
        assert set(ours.iterdir()) == before
    finally:
        jax.config.update("jax_compilation_cache_dir", None)
        from jax.experimental.compilation_cache import compilation_cache

        compilation_cache.reset_cache()
    # An empty setting turns the cache off.
    monkeypatch.setenv("SKROWATTN_JAX_CACHE_DIR", "")
    fit(11)
    assert set(ours.iterdir()) == before


def test_a_compiled_fit_runs_an_epoch_in_fewer_larger_calls(monkeypatch):
    """An epoch larger than a chunk runs in calls of COMPILED_CHUNKS chunks
    when the loop is compiled from the first call (XLA, JAX): fewer calls,
    the same network."""
    import keras

    from skrowattn import training

    if keras.backend.backend() == "tensorflow":
        from skrowattn import training_tensorflow

        monkeypatch.setattr(training_tensorflow, "XLA_MIN_STEPS", 0)  # XLA from the start
    monkeypatch.setattr(training, "CHUNK_ROWS", 32)  # 2 batches of 16 a chunk
    calls = []
    fill = training.Trainer._fill
    monkeypatch.setattr(training.Trainer, "_fill",
                        lambda self, *args: calls.append(1) or fill(self, *args))
    X, y = make_classification(n_samples=200, n_features=6, random_state=0)
    settings = dict(hidden_layer_sizes=(8,), batch_size=16, max_iter=2, random_state=0,
                    early_stopping=False)
    fitted, call_counts = {}, {}
    for chunks in (1, 4):
        monkeypatch.setattr(training, "COMPILED_CHUNKS", chunks)
        calls.clear()
        fitted[chunks] = quiet_fit(RowAttentionClassifier(**settings), X, y)
        call_counts[chunks] = len(calls)
    # 13 batches an epoch: 7 calls of 2 batches, or 2 of 8.
    assert (call_counts[1], call_counts[4]) == (2 * 7, 2 * 2)
    np.testing.assert_allclose(fitted[4].predict_proba(X), fitted[1].predict_proba(X),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(fitted[4].sample_weights_, fitted[1].sample_weights_,
                               rtol=1e-5)


def test_fits_of_other_sizes_reuse_the_compiled_loop():
    """At the defaults nothing in the compiled loop's arguments depends on the
    number of rows beyond the chunk shape: 300 and 700 rows (80 steps a call
    either way) run one trace."""
    X, y = make_classification(n_samples=700, n_features=6, random_state=0)
    settings = dict(hidden_layer_sizes=(5,), max_iter=100, random_state=0)
    quiet_fit(RowAttentionClassifier(**settings), X[:300], y[:300])
    before = _traces()
    quiet_fit(RowAttentionClassifier(**settings), X, y)
    assert _traces() == before


def test_tables_smaller_than_a_batch_share_the_loop_and_train_as_one_batch():
    """Under 200 rows, batch_size="auto" trains each epoch as one batch of the
    rows and weightless fillers in 200 slots: 150 and 120 rows run the loop
    of 190 rows without a new trace (or compilation), and give the model and
    the learned row weights of a batch of exactly their rows (fillers share
    the batch with the rows they repeat, and must leave those rows' scores
    alone)."""
    X, y = make_classification(n_samples=300, n_features=6, flip_y=0.2, random_state=0)
    settings = dict(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
    quiet_fit(RowAttentionClassifier(**settings), X[:190], y[:190])
    for n in (150, 120):
        before = _traces()
        auto = quiet_fit(RowAttentionClassifier(**settings), X[:n], y[:n])
        assert _traces() == before
        exact = quiet_fit(RowAttentionClassifier(batch_size=n, **settings), X[:n], y[:n])
        np.testing.assert_allclose(auto.predict_proba(X), exact.predict_proba(X), atol=1e-5)
        np.testing.assert_allclose(auto.sample_weights_, exact.sample_weights_, rtol=1e-4)
        assert auto.sample_weights_.std() > 0.05  # the row scores did move


def _traces():
    """Traces (TensorFlow) or compilations (JAX) of every cached loop."""
    from skrowattn import training

    counts = []
    for loop in training._COMPILED.values():
        count = getattr(loop, "experimental_get_tracing_count", None)  # TensorFlow
        counts.append(count() if count else loop._cache_size())  # JAX
    return sum(counts)


def test_tables_of_other_widths_reuse_the_compiled_loop(monkeypatch):
    """Inputs padded with zero columns to a multiple of 16: 17 to 32 columns
    run one loop, and the model is the one trained without padding."""
    import keras

    from skrowattn import training

    X, y = make_classification(n_samples=300, n_features=32, random_state=0)
    settings = dict(hidden_layer_sizes=(7,), max_iter=5, random_state=0)
    padded = quiet_fit(RowAttentionClassifier(**settings), X[:, :20], y)
    if keras.backend.backend() == "jax":  # JAX trains on the table's own width
        assert padded._trainer._padded is None
        return
    assert padded._trainer._padded == (0, 20, 32)
    before = _traces()
    for width in (17, 25, 32):
        quiet_fit(RowAttentionClassifier(**settings), X[:, :width], y)
    assert _traces() == before
    # A hidden layer as wide as the input is not taken for the input.
    same = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(20,), max_iter=5),
                     X[:, :20], y)
    assert same._trainer._compute_network().backbone.get_layer("row_attention").feature_dim == 20
    # (and no padding where the attention takes the inputs themselves)
    assert quiet_fit(RowAttentionClassifier(attention_layer=0, **settings),
                     X[:, :20], y)._trainer._padded is None
    monkeypatch.setattr(training, "WIDTH_STEP", 1)
    plain = quiet_fit(RowAttentionClassifier(**settings), X[:, :20], y)
    assert plain._trainer._padded is None
    assert padded.model_.get_weights()[0].shape == plain.model_.get_weights()[0].shape == (20, 7)
    np.testing.assert_allclose(padded.loss_curve_, plain.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(padded.predict_proba(X[:, :20]), plain.predict_proba(X[:, :20]),
                               **rounding(plain))
    # Adam's state is kept at the network's own shapes (for pickles and warm starts)
    m, v, _ = padded._trainer.optimizer_state()
    assert m[0].shape == v[0].shape == (20, 7)


def test_one_trace_serves_tables_of_every_width_and_size(monkeypatch):
    """TensorFlow traces the loop once with the input width and the chunk's
    steps unknown: a table of another padded width and size reuses it, and
    trains the model that a loop traced for it alone trains."""
    import collections

    import keras

    from skrowattn import training

    if keras.backend.backend() != "tensorflow":
        pytest.skip("JAX compiles for each shape")
    X, y = make_classification(n_samples=700, n_features=40, random_state=0)
    settings = dict(hidden_layer_sizes=(9,), max_iter=4, random_state=0)
    quiet_fit(RowAttentionClassifier(**settings), X[:300, :6], y[:300])  # padded to 16
    before = _traces()
    shared = quiet_fit(RowAttentionClassifier(**settings), X, y)  # 48, more steps a call
    assert shared._trainer._padded == (0, 40, 48)
    assert _traces() == before
    monkeypatch.setattr(training, "_COMPILED", collections.OrderedDict())
    alone = quiet_fit(RowAttentionClassifier(**settings), X, y)
    assert _traces() == 1
    np.testing.assert_array_equal(shared.loss_curve_, alone.loss_curve_)
    np.testing.assert_array_equal(shared.predict_proba(X), alone.predict_proba(X))


def test_a_fit_that_may_stop_early_moves_to_xla_after_its_first_steps(cancer, monkeypatch):
    """Where the stopping rules may end a fit before XLA_MIN_STEPS steps, it
    starts on the graph executor and moves to XLA once it has run
    XLA_SWITCH_STEPS; a fit sure to run XLA_MIN_STEPS starts under XLA."""
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA against graph is the TensorFlow trainer's choice")
    from skrowattn import training_tensorflow as training

    X, y = cancer  # 200 rows: 160 to train on in batches of 40, 4 steps an epoch
    monkeypatch.setattr(training, "XLA_MIN_STEPS", 30)
    monkeypatch.setattr(training, "XLA_SWITCH_STEPS", 12)

    def calls(**params):
        clf = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(11,), batch_size=40,
                                               early_stopping=True, validation_fraction=0.2,
                                               tol=0.0, random_state=0, **params), X, y)
        return clf, clf._trainer.loop_calls

    # 10 epochs (40 steps) sure to run, as n_iter_no_change=10: XLA from the start.
    _, sure = calls(max_iter=10, n_iter_no_change=10)
    assert sure["graph"] == 0 and sure["xla"] > 0
    # Sure of 3 epochs (12 steps), of 12 planned: the graph, then XLA from the
    # fourth epoch (it can stop at the fourth at the earliest).
    clf, unsure = calls(max_iter=12, n_iter_no_change=2)
    assert unsure["graph"] == 3 and unsure["xla"] == clf.n_iter_ - 3 > 0
    again, _ = calls(max_iter=12, n_iter_no_change=2)
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    # Too few steps left after the switch to pay for a compilation: the graph.
    _, short = calls(max_iter=10, n_iter_no_change=2)
    assert short["xla"] == 0


def test_partial_fit(cancer):
    X, y = cancer
    clf = RowAttentionClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    for _ in range(15):
        clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 15 and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.score(X, y) > 0.85
    reg = RowAttentionRegressor(random_state=0)
    Xr, yr = make_regression(n_samples=80, n_features=3, random_state=0)
    reg.partial_fit(Xr, yr).partial_fit(Xr, yr)
    assert reg.n_iter_ == 2



def test_a_short_fits_model_does_not_depend_on_an_earlier_xla_fit_of_its_shapes(
        cancer, monkeypatch):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("XLA against graph is the TensorFlow trainer's choice")
    from skrowattn import training_tensorflow as training

    X, y = cancer

    def fit():
        # hidden (11,): an architecture no other test fits
        clf = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(11,), max_iter=20,
                                               random_state=0), X, y)
        return clf, dict(clf._trainer.loop_calls)

    monkeypatch.setattr(training, "XLA_MIN_STEPS", 10**9)  # a short fit: the graph
    first, calls = fit()
    assert calls["xla"] == 0 and calls["graph"] > 0
    monkeypatch.setattr(training, "XLA_MIN_STEPS", 0)  # a long fit of the same shapes: XLA
    _, calls = fit()
    assert calls["xla"] > 0 and calls["graph"] == 0
    monkeypatch.setattr(training, "XLA_MIN_STEPS", 10**9)
    again, calls = fit()  # short again: the graph, though XLA has compiled these shapes
    assert calls["xla"] == 0 and calls["graph"] > 0
    # The same model to the last digit: under XLA it would round differently.
    np.testing.assert_array_equal(again.loss_curve_, first.loss_curve_)
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))
    np.testing.assert_array_equal(again.sample_weights_, first.sample_weights_)


def test_the_loop_runs_without_grappler_and_leaves_the_callers_options(cancer):
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("Grappler is TensorFlow's")
    from tensorflow.core.protobuf import config_pb2
    from tensorflow.python.eager import context

    from skrowattn.training_tensorflow import _without_grappler

    def options():
        return config_pb2.ConfigProto.FromString(
            context.context().function_call_options.config_proto_serialized)

    before = options()
    with _without_grappler():
        assert options().graph_options.rewrite_options.disable_meta_optimizer
    assert options() == before
    quiet_fit(RowAttentionClassifier(max_iter=2, random_state=0), *cancer)
    assert options() == before  # the user's own functions keep their rewrites
    assert not options().graph_options.rewrite_options.disable_meta_optimizer


def test_new_networks_do_not_warn_of_retracing(cancer, caplog):
    """Each network's loop is traced once; TensorFlow counted the loops of
    different networks as one function and warned from the fifth."""
    import keras

    if keras.backend.backend() != "tensorflow":
        pytest.skip("TensorFlow's tracing warning")
    X, y = cancer
    with caplog.at_level("WARNING"):
        for width in range(3, 10):
            quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(width,), max_iter=1), X, y)
    assert not [r for r in caplog.records if "retracing" in r.getMessage()]
