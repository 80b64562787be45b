"""Makes docs/figures/sample_weights.png: the learned weights of breast-cancer
training rows, 10% of them with flipped labels, drawn with SampleWeightDisplay.
Run: ``python docs/figures/sample_weights.py``.
"""

import os
import pathlib
import warnings

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402
from skrowattn.plotting import LossCurveDisplay, SampleWeightDisplay  # noqa: E402

# Each model at its own default number of epochs, unless
# SKROWATTN_EXAMPLE_EPOCHS sets one for all (the test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})
OUT = pathlib.Path(os.environ.get("SKROWATTN_FIGURE_DIR", pathlib.Path(__file__).parent))

SEEDS = int(os.environ.get("SKROWATTN_FIGURE_SEEDS", "5"))
X, y = load_breast_cancer(return_X_y=True)


def corrupted(seed):
    """10% of the labels flipped, a new draw per seed (benchmarks/quality.py's protocol)."""
    rng = np.random.default_rng(seed)
    flipped = np.zeros(len(y), bool)
    flipped[rng.choice(len(y), len(y) // 10, replace=False)] = True
    return np.where(flipped, 1 - y, y), flipped


def fit(params, seed):
    y_noisy, flipped = corrupted(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RowAttentionClassifier(**EPOCHS, random_state=seed, **params)
        clf.fit(X, y_noisy)
    return clf, flipped, roc_auc_score(flipped, -clf.sample_weights_)


# One fit per setting is drawn; the title gives its AUROC and the mean over
# SEEDS draws of the corruption, since one fit alone can rank either way.
SETTINGS = (("features alone (row_score_rate=0, novelty=0)",
             {"row_score_rate": 0.0, "novelty": 0.0}),
            ("defaults (row scores, novelty=3)", {}))
fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
for ax, (name, params) in zip(axes[:2], SETTINGS):
    runs = [fit(params, seed) for seed in range(SEEDS)]
    clf, flipped, auroc = runs[0]
    aurocs = [r[2] for r in runs]
    groups = np.where(flipped, "flipped label", "clean label")
    SampleWeightDisplay(clf.sample_weights_, groups=groups, estimator_name=name).plot(ax=ax)
    ax.set_title(f"{name}: AUROC {auroc:.2f} ({SEEDS} seeds: {np.mean(aurocs):.2f})",
                 fontsize=9)
    print(f"{name}: AUROC of a low weight for a flipped label "
          f"{auroc:.3f} on the drawn fit; over {SEEDS} seeds mean {np.mean(aurocs):.3f}, "
          f"min {np.min(aurocs):.3f}, max {np.max(aurocs):.3f}")
    if not params:
        LossCurveDisplay.from_estimator(clf, ax=axes[2])
fig.tight_layout()
fig.savefig(OUT / "sample_weights.png", dpi=100)
