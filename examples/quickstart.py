"""Quickstart: fit a RowAttentionClassifier and see which rows it trusts.

Fits on scikit-learn's bundled breast-cancer data, raw and unscaled (the estimator
standardizes its inputs itself), prints the held-out accuracy next to
MLPClassifier's, and the training rows with the lowest and highest learned
``sample_weights_``. Run: ``python examples/quickstart.py``.
"""

import os
import time
import warnings

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402

# Each model at its own default number of epochs, unless
# SKROWATTN_EXAMPLE_EPOCHS sets one for all (the test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})

data = load_breast_cancer(as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.25, random_state=0, stratify=data.target
)

start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = RowAttentionClassifier(**EPOCHS, random_state=0).fit(X_train, y_train)
seconds = time.perf_counter() - start
mlp = make_pipeline(StandardScaler(), MLPClassifier(**EPOCHS, random_state=0))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    mlp.fit(X_train, y_train)

print(f"RowAttentionClassifier: held-out accuracy {clf.score(X_test, y_test):.3f} "
      f"({clf.n_iter_} epochs, {seconds:.1f} s)")
print(f"MLPClassifier (scaled):  held-out accuracy {mlp.score(X_test, y_test):.3f}")

weights = clf.sample_weights_
order = np.argsort(weights)
names = data.target_names
print("\nTraining rows the attention trusts least (lowest sample_weights_):")
for i in order[:5]:
    row = X_train.index[i]
    print(f"  row {row:>3}  weight {weights[i]:.3f}  label {names[y_train.iloc[i]]:<9}"
          f"  predicted {names[clf.predict(X_train.iloc[[i]])[0]]}")
print("Training rows the attention trusts most (highest sample_weights_):")
for i in order[::-1][:5]:
    row = X_train.index[i]
    print(f"  row {row:>3}  weight {weights[i]:.3f}  label {names[y_train.iloc[i]]:<9}"
          f"  predicted {names[clf.predict(X_train.iloc[[i]])[0]]}")
print(f"\nsample_weights_: mean {weights.mean():.3f}, min {weights.min():.3f}, "
      f"max {weights.max():.3f}")
