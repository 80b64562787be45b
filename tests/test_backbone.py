"""The default backbone (skrowattn.backbone) and custom ones, through the estimators."""

import pytest

from skrowattn import RowAttentionClassifier

from _helpers import quiet_fit


def _attention_position(model):
    from skrowattn.layers import RowAttention

    names = [type(layer).__name__ for layer in model.layers]
    return names.index("RowAttention"), names, [l for l in model.layers if isinstance(l, RowAttention)]


def test_default_backbone_places_attention_after_first_hidden_layer(fitted):
    position, names, attention = _attention_position(fitted.model_)
    assert names[:position + 1] == ["InputLayer", "Dense", "RowAttention"]
    (layer,) = attention
    assert (layer.normalization, layer.inference) == ("mean", "running")


@pytest.mark.parametrize("where, before", [(0, ["InputLayer"]), (2, ["InputLayer", "Dense", "Dense"])])
def test_attention_layer_moves_it(cancer, where, before):
    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(hidden_layer_sizes=(8, 8), attention_layer=where, max_iter=2), X, y
    )
    position, names, _ = _attention_position(clf.model_)
    assert names[:position] == before


def test_attention_options_reach_the_layer(cancer):
    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(hidden_layer_sizes=(12,), attention_hidden_dim=3, temperature=2.0,
                               dropout=0.2, max_iter=2), X, y)
    _, names, (layer,) = _attention_position(clf.model_)
    assert layer.hidden_dim == 3 and layer.temperature == 2.0
    assert "Dropout" in names


def test_scoring_network_is_16_units_by_default_and_none_gives_the_layers_half_width(
        fitted, cancer):
    (layer,) = _attention_position(fitted.model_)[2]
    assert layer.hidden_dim == 16 and layer.feature_dim == 16  # (half would be 8)
    clf = quiet_fit(RowAttentionClassifier(hidden_layer_sizes=(12,), attention_hidden_dim=None,
                                           max_iter=2), *cancer)
    (layer,) = _attention_position(clf.model_)[2]
    assert layer.hidden_dim == 6  # RowAttention's own default: half the attended width


def test_attention_layer_beyond_the_stack_is_rejected(cancer):
    with pytest.raises(ValueError, match="attention_layer=3"):
        RowAttentionClassifier(hidden_layer_sizes=(8, 8), attention_layer=3).fit(*cancer)


def test_custom_backbone(cancer):
    import keras

    from skrowattn.layers import RowAttention

    def builder(n_features, n_outputs):
        inputs = keras.Input((n_features,))
        h = keras.layers.Dense(8, activation="tanh")(inputs)
        h = RowAttention(8, normalization="mean")(h)
        return keras.Model(inputs, keras.layers.Dense(n_outputs)(h))

    X, y = cancer
    clf = quiet_fit(
        RowAttentionClassifier(backbone=builder, max_iter=40, learning_rate_init=0.01, random_state=0), X, y
    )
    assert clf.model_.layers[1].activation.__name__ == "tanh"
    assert clf.score(X, y) > 0.85
    assert clf.transform(X).shape == (len(X), 8)
    assert clf.sample_weights_.shape == (len(X),)


def test_backbone_without_row_attention_is_a_value_error(cancer):
    import keras

    def builder(n_features, n_outputs):
        return keras.Sequential([keras.Input((n_features,)), keras.layers.Dense(n_outputs)])

    with pytest.raises(ValueError, match="RowAttention"):
        RowAttentionClassifier(backbone=builder).fit(*cancer)
