"""The default Keras network behind the estimators, and finding its attention.

Everything here imports Keras, so the estimators import this module only when
they fit or load.
"""

from skrowattn import _startup  # noqa: F401  (Keras, imported quietly)
import keras
import numpy as np
from keras import layers

from skrowattn.layers import RowAttention, row_attention_layers

# scikit-learn's MLP activation names -> Keras names.
ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


def build_backbone(
    n_features,
    n_outputs,
    *,
    hidden_layer_sizes,
    attention_layer,
    attention_hidden_dim,
    temperature,
    activation,
    dropout,
    dtype,
    seed,
):
    """The default network: a stack of Dense layers with one RowAttention.

    Every argument is required: the defaults are the estimators' own (their
    signatures are the one place they live).

    ``Input -> Dense(h1) -> ... -> Dense(hk) -> Dense(n_outputs)``, with a
    ``RowAttention(normalization="mean", inference="running")`` after hidden layer
    number ``attention_layer`` (0: on the inputs) and ``Dropout(dropout)`` after
    every hidden layer when ``dropout > 0``. The output is linear: logits for
    classifiers, (scaled) values for regressors.

    With a ``seed``, every initializer and dropout layer gets a seed of its own
    drawn from it, so the network does not depend on Python's global random
    generator, which other threads (a Dask worker's, say) may draw from at the
    same time.
    """
    if not 0 <= attention_layer <= len(hidden_layer_sizes):
        raise ValueError(
            f"attention_layer={attention_layer} must be between 0 (on the inputs) and "
            f"the number of hidden layers, {len(hidden_layer_sizes)}."
        )
    act = ACTIVATIONS[activation]
    seeds = np.random.RandomState(seed)

    def next_seed():
        return None if seed is None else int(seeds.randint(2**31 - 1))

    def kernel_init():
        return keras.initializers.GlorotUniform(seed=next_seed())

    def attention(x, width):
        layer = RowAttention(
            width,
            attention_hidden_dim,
            temperature=temperature,
            normalization="mean",
            inference="running",
            dtype=dtype,
            seed=next_seed(),
            name="row_attention",
        )
        return layer(x)

    inputs = keras.Input((n_features,), dtype=dtype, name="features")
    x = inputs
    if attention_layer == 0:
        x = attention(x, n_features)
    for i, units in enumerate(hidden_layer_sizes, start=1):
        x = layers.Dense(units, activation=act, kernel_initializer=kernel_init(), dtype=dtype,
                         name=f"hidden_{i}")(x)
        if i == attention_layer:
            x = attention(x, units)
        if dropout > 0:
            x = layers.Dropout(dropout, seed=next_seed(), dtype=dtype, name=f"dropout_{i}")(x)
    outputs = layers.Dense(n_outputs, kernel_initializer=kernel_init(), dtype=dtype,
                           name="output")(x)
    return keras.Model(inputs, outputs, name="row_attention_backbone")


def find_row_attention(model):
    """The one RowAttention layer of ``model``; ValueError when there is none."""
    found = row_attention_layers(model)
    if not found:
        raise ValueError(
            "The backbone must contain a skrowattn.layers.RowAttention layer; "
            f"the model {model.name!r} returned by `backbone` has none."
        )
    return found[0]
