"""The RowAttention layer: original math, batch-invariant inference, saving, errors."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def RowAttention(keras):
    from skrowattn.layers import RowAttention

    return RowAttention


def _np(t):
    import keras

    return np.asarray(keras.ops.convert_to_numpy(t))


def _reference_training_output(layer, x, temperature=5.0, normalization="sum"):
    """The original layer's training-time math, in NumPy, from the layer's weights."""
    dense_in, bn, dense_out = layer.attention_net.layers
    kernel, bias = (_np(v) for v in dense_in.weights)
    h = np.maximum(x.astype("float64") @ kernel + bias, 0.0)
    mean, var = h.mean(axis=0), h.var(axis=0)
    h = (h - mean) / np.sqrt(var + bn.epsilon) * _np(bn.gamma) + _np(bn.beta)
    kernel2, bias2 = (_np(v) for v in dense_out.weights)
    s = 1.0 / (1.0 + np.exp(-(h @ kernel2 + bias2)))
    z = temperature * s.reshape(-1)
    a = np.exp(z - z.max())
    a /= a.sum()
    if normalization == "mean":
        a *= len(a)
    return x * a.reshape(s.shape), a


def test_constructor_matches_original(RowAttention, keras):
    layer = RowAttention(10)
    assert layer.feature_dim == 10 and layer.hidden_dim == 5
    assert RowAttention(1).hidden_dim == 1
    assert RowAttention(feature_dim=8, hidden_dim=3).hidden_dim == 3
    assert (layer.temperature, layer.normalization, layer.inference) == (5.0, "sum", "running")
    assert layer.momentum == 0.9
    # inference="batch" is the original throughout: BatchNormalization's default momentum.
    original = RowAttention(10, inference="batch")
    assert original.momentum == 0.99 == original.attention_net.layers[1].momentum
    kinds = [type(sub).__name__ for sub in layer.attention_net.layers]
    assert kinds == ["Dense", "BatchNormalization", "Dense"]
    assert layer.attention_net.layers[0].units == 5
    assert layer.attention_net.layers[0].activation.__name__ == "relu"
    assert layer.attention_net.layers[2].activation.__name__ == "sigmoid"


def test_attention_net_maps_rows_to_scores(RowAttention, rng):
    layer = RowAttention(6)
    x = rng.normal(size=(9, 6)).astype("float32")
    layer(x)
    scores = _np(layer.attention_net(x))
    assert scores.shape == (9, 1)
    assert np.all((scores > 0) & (scores < 1))


@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_training_output_is_original_math(RowAttention, rng, normalization):
    x = rng.normal(size=(32, 10)).astype("float32")
    layer = RowAttention(10, normalization=normalization)
    layer.build(x.shape)
    # Non-trivial weights, so the check is not about an initial state.
    for v in layer.attention_net.trainable_weights:
        v.assign(rng.normal(scale=0.5, size=v.shape).astype("float32"))
    expected, a = _reference_training_output(layer, x, normalization=normalization)
    out, weights = layer(x, training=True, return_attention_weights=True)
    # Default settings: the original's math within 1e-6; "mean" is the same
    # weights times the batch size, so the float32 error scales with it.
    total = 1.0 if normalization == "sum" else 32.0
    assert np.max(np.abs(_np(out) - expected)) <= 1e-6 * total
    assert np.max(np.abs(_np(weights).ravel() - a)) <= 1e-6 * total
    assert _np(weights).sum() == pytest.approx(total, rel=1e-5)


def test_temperature_scales_the_softmax(RowAttention, rng):
    x = rng.normal(size=(16, 4)).astype("float32")
    layer = RowAttention(4, temperature=2.0)
    layer.build(x.shape)
    for v in layer.attention_net.trainable_weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    expected, _ = _reference_training_output(layer, x, temperature=2.0)
    assert np.max(np.abs(_np(layer(x, training=True)) - expected)) <= 1e-6


def test_batch_inference_reproduces_original(RowAttention, rng):
    x = rng.normal(size=(20, 6)).astype("float32")
    layer = RowAttention(6, inference="batch")
    layer.build(x.shape)
    dense_in, bn, _ = layer.attention_net.layers
    h = np.maximum(x @ _np(dense_in.kernel) + _np(dense_in.bias), 0.0)
    mean, var = np.zeros(h.shape[1]), np.ones(h.shape[1])
    for _ in range(3):
        layer(x, training=True)  # moves the BatchNormalization statistics
        mean, var = 0.99 * mean + 0.01 * h.mean(0), 0.99 * var + 0.01 * h.var(0)
    # ... exactly as the original's BatchNormalization(momentum=0.99) does.
    np.testing.assert_allclose(_np(bn.moving_mean), mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(_np(bn.moving_variance), var, rtol=1e-5, atol=1e-7)
    scores = _np(layer.attention_net(x, training=False)).ravel()
    a = np.exp(5.0 * scores - (5.0 * scores).max())
    a /= a.sum()
    out, w = layer(x, training=False, return_attention_weights=True)
    np.testing.assert_allclose(_np(w).ravel(), a, atol=1e-6)
    np.testing.assert_allclose(_np(out), x * a[:, None], atol=1e-6)
    # ... and so, like the original, it depends on the batch.
    alone = _np(layer(x[:1], training=False))
    assert not np.allclose(alone, _np(out)[:1], atol=1e-3)


def test_running_inference_uses_accumulated_statistics(RowAttention, rng):
    x = rng.normal(size=(40, 6)).astype("float32")
    layer = RowAttention(6, normalization="sum")
    logs = []
    for start in (0, 20):
        _, w = layer(x[start:start + 20], training=True, return_attention_weights=True)
        dense_in, bn, dense_out = layer.attention_net.layers
        logs.append(np.log(np.mean(np.exp(5.0 * _np(layer.attention_net(x[start:start + 20], training=True)).ravel()))))
    # Bias-corrected average of the two batches' log-mean-exp, in linear space.
    m = 0.9
    alpha = (1 - m) / (1 - m**2)
    expected = np.log((1 - alpha) * np.exp(logs[0]) + alpha * np.exp(logs[1]))
    assert float(_np(layer.moving_log_norm)) == pytest.approx(expected, rel=1e-4)
    assert float(_np(layer.moving_batch_size)) == pytest.approx(20.0)
    scores = _np(layer.attention_net(x, training=False)).ravel()
    _, w = layer(x, training=False, return_attention_weights=True)
    np.testing.assert_allclose(
        _np(w).ravel(), np.exp(5.0 * scores - expected) / 20.0, rtol=1e-4
    )


def test_sample_weight_counts_as_repetition(RowAttention, rng):
    x = rng.normal(size=(8, 5)).astype("float32")
    counts = np.array([1, 0, 2, 3, 1, 0, 1, 2])
    repeated = np.repeat(x, counts, axis=0)
    first = np.repeat(np.arange(8), counts)
    a = RowAttention(5, normalization="mean")
    a.build(x.shape)
    for v in a.attention_net.trainable_weights:
        v.assign(rng.normal(size=v.shape).astype("float32"))
    b = RowAttention.from_config(a.get_config())
    b.build(x.shape)
    b.set_weights(a.get_weights())
    out_w, w_w = a(x, training=True, sample_weight=counts.astype("float32"), return_attention_weights=True)
    out_r, w_r = b(repeated, training=True, return_attention_weights=True)
    np.testing.assert_allclose(_np(w_w).ravel()[first], _np(w_r).ravel(), rtol=1e-5)
    np.testing.assert_allclose(_np(out_w)[first], _np(out_r), rtol=1e-5, atol=1e-6)
    for va, vb in zip(a.non_trainable_weights, b.non_trainable_weights):
        np.testing.assert_allclose(_np(va), _np(vb), rtol=1e-5, atol=1e-6)


def _train_small_model(keras, X, y, RowAttention, normalization="sum", epochs=8):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((X.shape[1],))
    h = keras.layers.Dense(16, activation="relu")(inputs)
    h = RowAttention(16, normalization=normalization)(h)
    h = keras.layers.Dense(8, activation="relu")(h)
    outputs = keras.layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    model.fit(X, y, batch_size=32, epochs=epochs, verbose=0)
    return model


@pytest.mark.parametrize("normalization", ["sum", "mean"])
def test_predictions_do_not_depend_on_the_batch(keras, breast_cancer, RowAttention, normalization):
    X, y = breast_cancer
    model = _train_small_model(keras, X, y, RowAttention, normalization)
    whole = model.predict(X, batch_size=len(X), verbose=0)
    for batch_size in (1, 7, 32):
        other = model.predict(X[:70], batch_size=batch_size, verbose=0)
        np.testing.assert_allclose(other, whole[:70], atol=1e-6, rtol=0)
    order = np.random.default_rng(1).permutation(len(X))
    shuffled = model.predict(X[order], batch_size=len(X), verbose=0)
    np.testing.assert_allclose(shuffled, whole[order], atol=1e-6, rtol=0)
    # The model learnt something: accuracy well above the base rate.
    assert np.mean((whole.ravel() > 0.5) == y) > 0.9


def test_mean_normalization_inference_weights_average_one(keras, breast_cancer, RowAttention):
    X, y = breast_cancer
    model = _train_small_model(keras, X, y, RowAttention, "mean")
    layer = next(l for l in model.layers if isinstance(l, RowAttention))
    hidden = keras.Model(model.inputs, layer.input)
    h = hidden.predict(X, verbose=0)
    _, weights = layer(h, training=False, return_attention_weights=True)
    weights = _np(weights)
    assert weights.shape == (len(X), 1)
    assert abs(weights.mean() - 1.0) <= 0.1


def test_return_attention_weights_in_both_modes(RowAttention, rng):
    x = rng.normal(size=(12, 4)).astype("float32")
    for inference in ("running", "batch"):
        layer = RowAttention(4, inference=inference)
        for training in (True, False):
            out, w = layer(x, training=training, return_attention_weights=True)
            assert _np(out).shape == (12, 4) and _np(w).shape == (12, 1)
            np.testing.assert_allclose(_np(out), x * _np(w), rtol=1e-6, atol=1e-7)


def test_config_round_trip(RowAttention):
    layer = RowAttention(12, 4, temperature=2.5, normalization="mean", inference="batch",
                         momentum=0.9, novelty=1.5, name="ra")
    config = layer.get_config()
    clone = RowAttention.from_config(config)
    assert clone.get_config() == config
    assert (clone.feature_dim, clone.hidden_dim, clone.temperature) == (12, 4, 2.5)
    assert (clone.normalization, clone.inference, clone.momentum) == ("mean", "batch", 0.9)
    assert clone.novelty == 1.5


def test_model_saves_and_loads_with_running_statistics(keras, breast_cancer, RowAttention, tmp_path):
    X, y = breast_cancer
    model = _train_small_model(keras, X, y, RowAttention, "mean", epochs=2)
    layer = next(l for l in model.layers if isinstance(l, RowAttention))
    assert float(_np(layer.num_updates)) > 0
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    loaded_layer = next(l for l in loaded.layers if isinstance(l, RowAttention))
    for name in ("moving_log_norm", "moving_batch_size", "num_updates"):
        assert _np(getattr(loaded_layer, name)) == _np(getattr(layer, name))
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), model.predict(X, verbose=0)
    )


def test_registered_as_serializable(RowAttention, keras):
    assert keras.saving.get_registered_object("skrowattn>RowAttention") is RowAttention
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(RowAttention(3))
    )
    assert isinstance(restored, RowAttention) and restored.feature_dim == 3


@pytest.mark.parametrize("shape", [(4, 3, 5), (5,)])
def test_wrong_rank_is_a_value_error(RowAttention, shape):
    with pytest.raises(ValueError, match=r"2-D.*feature_dim=5.*rank " + str(len(shape))):
        RowAttention(5)(np.zeros(shape, dtype="float32"))


def test_wrong_feature_count_names_both_numbers(RowAttention):
    layer = RowAttention(5)
    with pytest.raises(ValueError, match=r"feature_dim=5.*with 7 features"):
        layer(np.zeros((4, 7), dtype="float32"))
    layer(np.zeros((4, 5), dtype="float32"))
    with pytest.raises(ValueError, match=r"feature_dim=5.*with 3 features"):
        layer(np.zeros((4, 3), dtype="float32"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(feature_dim=0), "feature_dim"),
        (dict(feature_dim=2.5), "feature_dim"),
        (dict(feature_dim=4, hidden_dim=0), "hidden_dim"),
        (dict(feature_dim=4, temperature=0), "temperature"),
        (dict(feature_dim=4, temperature=-1.0), "temperature"),
        (dict(feature_dim=4, temperature=float("nan")), "temperature"),
        (dict(feature_dim=4, normalization="max"), "normalization"),
        (dict(feature_dim=4, inference="online"), "inference"),
        (dict(feature_dim=4, momentum=1.0), "momentum"),
        (dict(feature_dim=4, novelty=-1.0), "novelty"),
        (dict(feature_dim=4, novelty=float("inf")), "novelty"),
    ],
)
def test_invalid_constructor_arguments(RowAttention, kwargs, message):
    with pytest.raises(ValueError, match=message):
        RowAttention(**kwargs)


def test_options_are_keyword_only(RowAttention):
    with pytest.raises(TypeError):
        RowAttention(4, 2, 5.0)


def test_softmax_in_float32_under_mixed_precision(keras, RowAttention, rng):
    x = rng.normal(size=(8, 4)).astype("float32")
    keras.mixed_precision.set_dtype_policy("mixed_float16")
    try:
        layer = RowAttention(4)
        out, w = layer(x, training=True, return_attention_weights=True)
        out_inf, w_inf = layer(x, training=False, return_attention_weights=True)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    dtype = keras.backend.standardize_dtype
    assert dtype(w.dtype) == "float32" and dtype(w_inf.dtype) == "float32"
    assert dtype(out.dtype) == "float16"
    assert _np(w).sum() == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.isfinite(_np(out_inf)))


def test_novelty_lowers_the_logit_by_the_distance_from_the_tracked_mean(RowAttention, rng):
    x = rng.normal(size=(64, 6)).astype("float32")
    plain = RowAttention(6, normalization="mean", seed=3)
    novel = RowAttention(6, normalization="mean", seed=3, novelty=2.0)
    for layer in (plain, novel):
        for _ in range(20):
            layer(x, training=True)
    new = np.concatenate([x[:8], 6.0 * x[:8]])  # 8 typical rows, 8 far away
    _, w_plain = plain(new, training=False, return_attention_weights=True)
    _, w_novel = novel(new, training=False, return_attention_weights=True)
    # Per row: weight ratio = exp(-novelty * log1p(mean z^2)), z the row's
    # inputs standardized by the layer's running input statistics.
    z = (new - _np(novel.input_mean)) / np.sqrt(_np(novel.input_variance) + 1e-3)
    expected = -2.0 * np.log1p(np.mean(z**2, axis=1))
    got = np.log(_np(w_novel).ravel()) - np.log(_np(w_plain).ravel())
    np.testing.assert_allclose(got - got.mean(), expected - expected.mean(), atol=1e-4)
    np.testing.assert_allclose(_np(novel.distance(new)), -expected / 2.0, rtol=1e-5)
    assert np.median(_np(w_novel)[8:]) < np.median(_np(w_novel)[:8])


def test_input_statistics_track_the_weighted_training_rows(RowAttention, rng):
    x = (3.0 + 2.0 * rng.normal(size=(50, 4))).astype("float32")
    w = rng.integers(0, 4, size=50).astype("float32")
    weighted = RowAttention(4, seed=0)
    repeated = RowAttention(4, seed=0)
    for _ in range(30):
        weighted(x, training=True, sample_weight=w)
        repeated(np.repeat(x, w.astype(int), axis=0), training=True)
    mean = np.average(x, axis=0, weights=w)
    variance = np.average((x - mean) ** 2, axis=0, weights=w)
    for layer in (weighted, repeated):  # a row of weight k counts k times
        np.testing.assert_allclose(_np(layer.input_mean), mean, rtol=1e-5)
        np.testing.assert_allclose(_np(layer.input_variance), variance, rtol=1e-4)


def test_row_offset_shifts_training_logits_but_not_running_statistics(RowAttention, rng):
    x = rng.normal(size=(16, 5)).astype("float32")
    offset = np.linspace(-2.0, 1.0, 16).astype("float32")
    base = RowAttention(5, seed=0)
    shifted = RowAttention(5, seed=0)
    _, w = base(x, training=True, return_attention_weights=True)
    _, w_shifted = shifted(x, training=True, row_offset=offset, return_attention_weights=True)
    # softmax(logits + offset) = softmax(logits) * exp(offset), renormalized.
    expected = _np(w).ravel() * np.exp(offset)
    np.testing.assert_allclose(_np(w_shifted).ravel(), expected / expected.sum(), rtol=1e-5)
    # What new rows are weighed against leaves the offsets out.
    assert _np(shifted.moving_log_norm) == pytest.approx(_np(base.moving_log_norm), rel=1e-6)
    _, a = base(x, training=False, return_attention_weights=True)
    _, b = shifted(x, training=False, return_attention_weights=True)
    np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5)
