"""Every snippet of the original layer's documentation runs with our import.

The snippets are copied from ``shared/reference/row-attention-layer-doc.txt`` with
``from kerasfactory.layers import RowAttention`` replaced by
``from skrowattn.layers import RowAttention``. Only the two bugs the documentation
itself has are fixed: Example 1 reused ``x`` for the data and the Keras tensors,
Example 2 applied its last Dense to ``outputs`` instead of ``x``.
"""

import os
import subprocess
import sys
import textwrap

import pytest

BASIC = """
import keras
from skrowattn.layers import RowAttention

# Create sample tabular data
batch_size, num_features = 32, 10
x = keras.random.normal((batch_size, num_features))

# Apply row attention
attention = RowAttention(feature_dim=num_features)
weighted_samples = attention(x)

print(f"Input shape: {x.shape}")           # (32, 10)
print(f"Output shape: {weighted_samples.shape}")  # (32, 10)
assert tuple(weighted_samples.shape) == (32, 10)
"""

SEQUENTIAL = """
import keras
from skrowattn.layers import RowAttention

model = keras.Sequential([
    keras.layers.Dense(64, activation='relu'),
    RowAttention(feature_dim=64),  # Apply attention to 64 features
    keras.layers.Dense(32, activation='relu'),
    keras.layers.Dense(1, activation='sigmoid')
])

model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
"""

FUNCTIONAL = """
import keras
from skrowattn.layers import RowAttention

# Define inputs
inputs = keras.Input(shape=(20,))  # 20 features

# Process features
x = keras.layers.Dense(64, activation='relu')(inputs)
x = RowAttention(feature_dim=64)(x)  # Apply row attention
x = keras.layers.Dropout(0.2)(x)
x = keras.layers.Dense(32, activation='relu')(x)
outputs = keras.layers.Dense(1, activation='sigmoid')(x)

model = keras.Model(inputs, outputs)
"""

ADVANCED = """
import keras
from skrowattn.layers import RowAttention

# Advanced configuration with custom hidden dimension
attention = RowAttention(
    feature_dim=128,
    hidden_dim=64,  # Custom hidden layer size
    name="custom_row_attention"
)

# Use in a complex model
inputs = keras.Input(shape=(50,))
x = keras.layers.Dense(128, activation='relu')(inputs)
x = attention(x)  # Apply row attention
x = keras.layers.LayerNormalization()(x)
x = keras.layers.Dense(64, activation='relu')(x)
x = keras.layers.Dropout(0.3)(x)
outputs = keras.layers.Dense(5, activation='softmax')(x)

model = keras.Model(inputs, outputs)
assert attention.hidden_dim == 64 and attention.name == "custom_row_attention"
"""

API_EXAMPLE = """
import tensorflow as tf
from skrowattn.layers import RowAttention

# Create sample data
batch_size = 32
feature_dim = 10
inputs = tf.random.normal((batch_size, feature_dim))

# Apply row attention
attention = RowAttention(feature_dim=feature_dim)
weighted_outputs = attention(inputs)
assert tuple(weighted_outputs.shape) == (32, 10)
"""

# Fixed: the original assigned the Keras tensors to `x`, the data's name, and so
# fed `attention_net` the raw 8-feature rows although it scores the 16 features
# that reach the RowAttention layer; both halves of that one bug are fixed.
EXAMPLE_1 = """
import keras
import numpy as np
from skrowattn.layers import RowAttention

# Create data with outliers
np.random.seed(42)
batch_size, num_features = 100, 8

# Normal samples
normal_samples = np.random.normal(0, 1, (80, num_features))
# Outlier samples (much higher variance)
outlier_samples = np.random.normal(0, 5, (20, num_features))
x = np.vstack([normal_samples, outlier_samples])

# Build model with row attention to handle outliers
inputs = keras.Input(shape=(num_features,))
h = keras.layers.Dense(16, activation='relu')(inputs)
h = RowAttention(feature_dim=16)(h)  # Learn sample importance
h = keras.layers.Dense(8, activation='relu')(h)
outputs = keras.layers.Dense(1, activation='sigmoid')(h)

model = keras.Model(inputs, outputs)
model.compile(optimizer='adam', loss='binary_crossentropy')

# Train and analyze attention weights
y = np.concatenate([np.zeros(80), np.ones(20)])  # Outliers are class 1
model.fit(x, y, epochs=20, verbose=0)

# Get attention weights for interpretability
attention_layer = model.layers[2]  # RowAttention layer
attention_weights = attention_layer.attention_net(model.layers[1](x[:10]))  # Get weights for first 10 samples
print("Attention weights shape:", attention_weights.shape)
print("Sample attention weights:", attention_weights.flatten()[:10])
assert isinstance(attention_layer, RowAttention)
assert tuple(attention_weights.shape) == (10, 1)
"""

# Fixed: the original applied the last Dense to `outputs` instead of `x`.
EXAMPLE_2 = """
import keras
from skrowattn.layers import RowAttention

# Handle imbalanced data with row attention
def create_balanced_model():
    inputs = keras.Input(shape=(15,))

    # Feature processing
    x = keras.layers.Dense(64, activation='relu')(inputs)
    x = keras.layers.BatchNormalization()(x)

    # Row attention to balance sample influence
    x = RowAttention(feature_dim=64, hidden_dim=32)(x)

    # Additional processing
    x = keras.layers.Dense(32, activation='relu')(x)
    x = keras.layers.Dropout(0.3)(x)

    # Output
    outputs = keras.layers.Dense(1, activation='sigmoid')(x)

    return keras.Model(inputs, outputs)

# Use with imbalanced data
model = create_balanced_model()
model.compile(optimizer='adam', loss='binary_crossentropy')
"""

EXAMPLE_3 = """
import keras
from skrowattn.layers import RowAttention

# Process data with varying quality using row attention
def create_quality_aware_model():
    inputs = keras.Input(shape=(25,))

    # Initial feature processing
    x = keras.layers.Dense(128, activation='relu')(inputs)
    x = keras.layers.BatchNormalization()(x)

    # Row attention to focus on high-quality samples
    x = RowAttention(feature_dim=128, hidden_dim=64)(x)

    # Quality-aware processing
    x = keras.layers.Dense(64, activation='relu')(x)
    x = keras.layers.Dropout(0.2)(x)
    x = keras.layers.Dense(32, activation='relu')(x)

    # Multiple outputs
    quality_score = keras.layers.Dense(1, activation='sigmoid', name='quality')(x)
    prediction = keras.layers.Dense(3, activation='softmax', name='prediction')(x)

    return keras.Model(inputs, [quality_score, prediction])

model = create_quality_aware_model()
model.compile(
    optimizer='adam',
    loss={'quality': 'binary_crossentropy', 'prediction': 'categorical_crossentropy'},
    loss_weights={'quality': 0.3, 'prediction': 1.0}
)
"""

IN_PROCESS = {
    "basic": BASIC,
    "sequential": SEQUENTIAL,
    "functional": FUNCTIONAL,
    "advanced": ADVANCED,
    "api_example": API_EXAMPLE,
    "example_2": EXAMPLE_2,
    "example_3": EXAMPLE_3,
}


@pytest.mark.parametrize("name", sorted(IN_PROCESS))
def test_doc_snippet_runs(name, keras):
    exec(compile(textwrap.dedent(IN_PROCESS[name]), f"<doc:{name}>", "exec"), {})


def test_doc_example_1_runs(keras):
    # Example 1 ends with `attention_weights.flatten()`, a NumPy-style method that
    # JAX arrays have and TensorFlow tensors do not, so the original snippet only
    # ever ran under JAX; it runs there unchanged (in a child process when this
    # process uses another backend).
    if keras.backend.backend() == "jax":
        exec(compile(EXAMPLE_1, "<doc:example_1>", "exec"), {})
        return
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", EXAMPLE_1], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Attention weights shape: (10, 1)" in done.stdout
