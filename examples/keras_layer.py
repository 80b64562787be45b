"""Use the RowAttention layer in your own Keras model.

Trains ``Dense(64) -> RowAttention -> Dense(32) -> Dense(1)`` on scikit-learn's
breast-cancer data (bundled with scikit-learn), prints the held-out accuracy, and
shows that, unlike the original layer, predictions do not depend on the batch.
Run: ``python examples/keras_layer.py``.
"""

import os

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn.layers import RowAttention  # noqa: E402

EPOCHS = int(os.environ.get("SKROWATTN_EXAMPLE_EPOCHS", "20"))

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train = scaler.transform(X_train).astype("float32")
X_test = scaler.transform(X_test).astype("float32")

keras.utils.set_random_seed(0)
inputs = keras.Input(shape=(X.shape[1],))
h = keras.layers.Dense(64, activation="relu")(inputs)
# "mean": weights average 1, so the activations keep their scale.
h = RowAttention(feature_dim=64, normalization="mean")(h)
h = keras.layers.Dense(32, activation="relu")(h)
outputs = keras.layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, batch_size=32, epochs=EPOCHS, verbose=0)

for batch_size in (1, 8, 32, len(X_test)):
    p = model.predict(X_test, batch_size=batch_size, verbose=0).ravel()
    print(f"predict(batch_size={batch_size:>3}): held-out accuracy "
          f"{np.mean((p > 0.5) == y_test):.3f}")
