"""Property tests: random shapes, dtypes and values for the layer and the
estimators. Every outcome is a correct result or one of the clear errors."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skrowattn import RowAttentionClassifier, RowAttentionRegressor

SETTINGS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0]),
)


@st.composite
def tables(draw, min_rows=1):
    n = draw(st.integers(min_rows, 25))
    d = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    if dtype is np.int64:
        X = draw(arrays(dtype, (n, d), elements=st.integers(-1000, 1000)))
    else:
        X = draw(arrays(dtype, (n, d), elements=values))
    return X


@SETTINGS
@given(X=tables(), temperature=st.floats(0.1, 20.0), normalization=st.sampled_from(["sum", "mean"]),
       training=st.booleans())
def test_layer_on_random_input(X, temperature, normalization, training):
    import keras

    from skrowattn.layers import RowAttention

    layer = RowAttention(X.shape[1], temperature=temperature, normalization=normalization)
    x = X.astype("float32")
    out, w = layer(x, training=training, return_attention_weights=True)
    out, w = keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(w)
    assert out.shape == x.shape and w.shape == (len(x), 1)
    finite_rows = np.all(np.isfinite(x), axis=1)
    if np.all(finite_rows):
        assert np.all(np.isfinite(w)) and np.all(w >= 0)
        assert np.all(np.isfinite(out))
        if training:
            expected = 1.0 if normalization == "sum" else float(len(x))
            assert w.sum() == pytest.approx(expected, rel=1e-4)


@SETTINGS
@given(X=tables(), data=st.data(), kind=st.sampled_from(["classifier", "regressor"]),
       preprocessing=st.sampled_from(["auto", None]))
def test_estimator_on_random_input(X, data, kind, preprocessing):
    n = len(X)
    if kind == "classifier":
        y = data.draw(arrays(np.int64, n, elements=st.integers(0, 2)))
        est = RowAttentionClassifier(hidden_layer_sizes=(4,), max_iter=2, preprocessing=preprocessing,
                                     random_state=0)
    else:
        y = data.draw(arrays(np.float64, n, elements=st.floats(-1e3, 1e3)))
        est = RowAttentionRegressor(hidden_layer_sizes=(4,), max_iter=2, preprocessing=preprocessing,
                                    random_state=0)
    X_before, y_before = X.copy(), y.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        assert any(word in message for word in (
            "NaN", "infinity", "class", "sample", "feature",
        )), message
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                pred = est.predict(X)
            except ValueError as exc:  # inf at predict time
                assert "infinity" in str(exc)
            else:
                assert pred.shape == (n,)
                if kind == "regressor":
                    assert np.all(np.isfinite(pred))
                w = est.sample_weights_
                assert w.shape == (n,) and np.all(np.isfinite(w)) and np.all(w >= 0)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
