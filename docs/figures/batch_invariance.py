"""Makes docs/figures/batch_invariance.png: accuracy against the prediction batch size,
for the original layer's inference (softmax over the predicted batch) and skrowattn's
(running statistics). Run: ``python docs/figures/batch_invariance.py``.
"""

import os
import pathlib

import keras  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn.layers import RowAttention  # noqa: E402

EPOCHS = int(os.environ.get("SKROWATTN_EXAMPLE_EPOCHS", "20"))
OUT = pathlib.Path(os.environ.get("SKROWATTN_FIGURE_DIR", pathlib.Path(__file__).parent))

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X).astype("float32")
sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, len(X)]


def accuracy_by_batch(inference):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((X.shape[1],)),
        keras.layers.Dense(64, activation="relu"),
        RowAttention(64, inference=inference),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile("adam", "binary_crossentropy")
    model.fit(X, y, batch_size=32, epochs=EPOCHS, verbose=0)
    return [float(np.mean((model.predict(X, batch_size=b, verbose=0).ravel() > 0.5) == y))
            for b in sizes]


original = accuracy_by_batch("batch")
running = accuracy_by_batch("running")
fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.plot(sizes, original, "o-", label='inference="batch" (the original layer)')
ax.plot(sizes, running, "s-", label='inference="running" (skrowattn\'s default)')
ax.axvline(32, color="grey", linestyle=":", label="training batch size")
ax.set_xscale("log", base=2)
ax.set_xlabel("batch size passed to model.predict")
ax.set_ylabel("accuracy on the training rows")
ax.set_ylim(0, 1.05)
ax.set_title("Same model, same rows: only the prediction batch changes")
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()
fig.savefig(OUT / "batch_invariance.png", dpi=110)
print("batch sizes:", sizes)
print("original:", [round(a, 3) for a in original])
print("running: ", [round(a, 3) for a in running])
