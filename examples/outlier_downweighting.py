"""Corrupted rows, and what the learned row weights say about them.

Takes scikit-learn's breast-cancer data, corrupts 10% of the training rows twice
over (once with wrong labels, once with feature outliers: the row times 5),
fits a RowAttentionClassifier on each, and measures how well a low
``sample_weights_`` flags the corrupted rows (AUROC; 0.5 is chance), next to
IsolationForest, which sees only the features. Also prints the accuracy on clean
held-out rows against MLPClassifier trained on the same corrupted data.

What it shows (docs/sample-weights.md has the 5-seed benchmark): at the
defaults both kinds of bad rows get low weights: the learned row scores find
the wrong labels, where no unsupervised detector such as IsolationForest can
see them, and the novelty term (``novelty=3``) the outliers, which the network
fits. ``novelty=0`` leaves the wrong labels to the row scores alone (found a
little better, the outliers not at all); ``novelty=10`` marks the outliers
best and blurs the wrong labels. None changes the predictions. Run:
``python examples/outlier_downweighting.py``.
"""

import os
import warnings

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402

# Each model at its own default number of epochs, unless
# SKROWATTN_EXAMPLE_EPOCHS sets one for all (the test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                    stratify=y)
rng = np.random.default_rng(0)
corrupted = rng.choice(len(y_train), len(y_train) // 10, replace=False)
is_corrupted = np.isin(np.arange(len(y_train)), corrupted)

# Two corrupted copies of the training rows; the inputs themselves stay untouched.
flipped_y = y_train.copy()
flipped_y[corrupted] = 1 - flipped_y[corrupted]
outlier_X = X_train.copy()
outlier_X[corrupted] *= 5.0

print(f"{len(y_train)} training rows, {len(corrupted)} corrupted; AUROC of a low weight "
      "for flagging them (0.5 = chance)\n")
print(f"{'corruption':<16} {'model':<34} {'AUROC':>6} {'mean weight corrupted/clean':>28} "
      f"{'clean test acc':>15}")
SETTINGS = (("RowAttention, defaults (novelty=3)", {}),
            ("RowAttention, novelty=0", dict(novelty=0.0)),
            ("RowAttention, novelty=10", dict(novelty=10.0)))
for name, Xc, yc in (("wrong labels", X_train, flipped_y), ("outlier rows", outlier_X, y_train)):
    for label, params in SETTINGS:
        clf = RowAttentionClassifier(**EPOCHS, random_state=0, **params)
        clf.fit(Xc, yc)
        w = clf.sample_weights_
        auroc = roc_auc_score(is_corrupted, -w)
        ratio = w[is_corrupted].mean() / w[~is_corrupted].mean()
        print(f"{name:<16} {label:<34} {auroc:>6.3f} "
              f"{ratio:>28.3f} {clf.score(X_test, y_test):>15.3f}")
    forest = IsolationForest(random_state=0).fit(Xc)
    print(f"{name:<16} {'IsolationForest (features only)':<34} "
          f"{roc_auc_score(is_corrupted, -forest.score_samples(Xc)):>6.3f}")
    mlp = make_pipeline(StandardScaler(), MLPClassifier(**EPOCHS, random_state=0))
    print(f"{name:<16} {'MLPClassifier (scaled)':<34} {'':>6} {'':>28} "
          f"{mlp.fit(Xc, yc).score(X_test, y_test):>15.3f}")

# The rows the network trusts least, on the wrong-label data.
clf = RowAttentionClassifier(**EPOCHS, random_state=0)
clf.fit(X_train, flipped_y)
lowest = np.argsort(clf.sample_weights_)[:10]
print(f"\nThe 10 lowest-weighted rows (defaults): {int(is_corrupted[lowest].sum())} of "
      f"them had their label flipped (10% of all rows were).")
