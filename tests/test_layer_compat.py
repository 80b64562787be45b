"""Models saved with the original layer (kerasfactory 0.1.1's RowAttention)
load with skrowattn alone; fixture made by tests/fixtures/make_kerasfactory_model.py."""

import os
import warnings

import numpy as np
import pytest

import skrowattn.layers
from skrowattn.layers import RowAttention, calibrate_row_attention

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
MODEL = os.path.join(FIXTURES, "kerasfactory_row_attention.keras")


@pytest.fixture(scope="module")
def saved():
    return np.load(os.path.join(FIXTURES, "kerasfactory_row_attention.npz"))


def load(keras):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(MODEL)
    return model, [w for w in caught if "kerasfactory" in str(w.message)]


def test_fixture_was_saved_by_the_original(saved):
    assert list(saved["versions"])[0] == "0.1.1"
    import zipfile

    with zipfile.ZipFile(MODEL) as z:
        assert "kerasfactory.layers>RowAttention" in z.read("config.json").decode()


def test_loads_and_predicts_as_the_original_with_a_warning(keras, saved):
    model, warned = load(keras)
    assert len(warned) == 1 and "calibrate_row_attention" in str(warned[0].message)
    layer = next(l for l in model.layers if isinstance(l, RowAttention))
    assert layer.inference == "batch" and layer.temperature == 5.0
    X = saved["X"]
    np.testing.assert_allclose(model.predict(X, batch_size=64, verbose=0), saved["batch_64"], atol=1e-6)
    np.testing.assert_allclose(model.predict(X[:16], batch_size=16, verbose=0), saved["batch_16"],
                               atol=1e-6)


def test_calibrated_predictions_do_not_depend_on_the_batch(keras, saved, tmp_path):
    model, _ = load(keras)
    X = saved["X"]
    model.predict(X, batch_size=64, verbose=0)  # a predict function traced in batch mode
    calibrate_row_attention(model, X)
    layer = next(l for l in model.layers if isinstance(l, RowAttention))
    assert layer.inference == "running"
    whole = model.predict(X, batch_size=64, verbose=0)
    np.testing.assert_allclose(model.predict(X, batch_size=1, verbose=0), whole, atol=1e-5)
    np.testing.assert_allclose(model.predict(X[:16], batch_size=16, verbose=0), whole[:16], atol=1e-5)
    # Close to the original's batch predictions, which it replaces by an average.
    np.testing.assert_allclose(whole, saved["batch_64"], atol=0.05)
    # Saved again, it is skrowattn's layer, with its statistics: no warning.
    path = tmp_path / "calibrated.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = keras.saving.load_model(path)
    np.testing.assert_allclose(again.predict(X, batch_size=7, verbose=0), whole, atol=1e-6)


def test_calibrate_rejects_bad_input(keras):
    layer = RowAttention(4)
    with pytest.raises(ValueError, match="feature_dim=4"):
        layer.calibrate(np.zeros((10, 3), "float32"))
    with pytest.raises(ValueError, match="batch_size"):
        layer.calibrate(np.zeros((10, 4), "float32"), batch_size=0)
    with pytest.raises(ValueError, match="no RowAttention"):
        inputs = keras.Input((3,))
        calibrate_row_attention(keras.Model(inputs, keras.layers.Dense(2)(inputs)),
                                np.zeros((5, 3), "float32"))


def test_the_original_name_is_registered_without_renaming_ours(keras):
    assert keras.saving.get_custom_objects()[skrowattn.layers._ORIGINAL_NAME] is RowAttention
    # Our layer still saves under its own name, which the original cannot load.
    assert keras.saving.get_registered_name(RowAttention) == "skrowattn>RowAttention"


def test_a_layer_saved_before_the_input_statistics_loads_with_a_warning(keras):
    # Development builds saved three running statistics; the input mean and
    # variance came later. The three load; the distance warns it has no origin.
    layer = RowAttention(4, seed=0)
    layer.build((None, 4))
    store = {"0": np.float32(0.7), "1": np.float32(32.0), "2": np.float32(5.0)}
    with pytest.warns(UserWarning, match="calibrate_row_attention"):
        layer.load_own_variables(store)
    assert [float(keras.ops.convert_to_numpy(v)) for v in
            (layer.moving_log_norm, layer.moving_batch_size, layer.num_updates)] == [
                pytest.approx(0.7), 32.0, 5.0]
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.input_mean), np.zeros(4))
    # Calibrating sets the inputs' statistics from rows.
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(200, 4)).astype("float32")
    layer.calibrate(x)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.input_mean), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.input_variance), x.var(0),
                               rtol=1e-4)
