"""Reusing ``sample_weights_`` in another estimator.

On training data with 15% wrong labels, a RowAttentionClassifier learns a weight
per row; those weights are then passed as ``sample_weight`` to two other
estimators (logistic regression and gradient boosting), or used to drop the
lowest-weighted rows before fitting them. Prints the accuracy of each on clean
held-out rows. The weights have mean 1, so they can be passed as they are.
Run: ``python examples/reuse_sample_weights.py``.
"""

import os
import warnings

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402

# Each model at its own default number of epochs, unless
# SKROWATTN_EXAMPLE_EPOCHS sets one for all (the test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
rng = np.random.default_rng(1)
noisy = y_train.copy()
flipped = rng.choice(len(noisy), int(0.15 * len(noisy)), replace=False)
noisy[flipped] = 1 - noisy[flipped]

# The defaults: each training row's learned score marks the rows whose labels
# the network cannot fit (docs/sample-weights.md).
attention = RowAttentionClassifier(**EPOCHS, random_state=0)
weights = attention.fit(X_train, noisy).sample_weights_
keep = weights > np.quantile(weights, 0.15)  # drop the 15% lowest-weighted rows
was_flipped = np.isin(np.arange(len(noisy)), flipped)
print(f"15% of {len(noisy)} training labels flipped; mean weight of flipped rows "
      f"{weights[was_flipped].mean():.2f}, of the others {weights[~was_flipped].mean():.2f}; "
      f"the dropped rows hold {was_flipped[~keep].sum()} of the {len(flipped)} flipped ones\n")

models = {
    "LogisticRegression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
    "HistGradientBoosting": lambda: HistGradientBoostingClassifier(random_state=0),
}
print(f"{'model':<22} {'unweighted':>11} {'sample_weight=':>15} {'lowest dropped':>15}")
for name, make in models.items():
    plain = make().fit(X_train, noisy).score(X_test, y_test)
    step = make()[-1].__class__.__name__.lower() + "__" if hasattr(make(), "steps") else ""
    weighted = make().fit(X_train, noisy, **{f"{step}sample_weight": weights}).score(X_test, y_test)
    dropped = make().fit(X_train[keep], noisy[keep]).score(X_test, y_test)
    print(f"{name:<22} {plain:>11.3f} {weighted:>15.3f} {dropped:>15.3f}")
print(f"{'(RowAttention itself)':<22} {attention.score(X_test, y_test):>11.3f}")
