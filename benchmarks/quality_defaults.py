"""Default-parameter quality against scikit-learn's MLP (and RidgeCV), 5-fold CV.

Every model is fitted on the raw, unscaled features; the MLPs get a
StandardScaler in front (they need one), skrowattn standardizes internally.
Prints one table: mean and standard deviation of the 5 fold scores, and the
difference to the MLP. Run: ``python benchmarks/quality_defaults.py``.
"""

import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import RidgeCV  # noqa: E402
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skrowattn import RowAttentionClassifier, RowAttentionRegressor  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def cv(model, X, y, classification):
    splitter = (StratifiedKFold if classification else KFold)(5, shuffle=True, random_state=0)
    start = time.perf_counter()
    scores = cross_val_score(model, X, y, cv=splitter)
    return scores, time.perf_counter() - start


def main():
    tasks = [
        ("breast_cancer", load_breast_cancer, True),
        ("digits", load_digits, True),
        ("diabetes", load_diabetes, False),
    ]
    print(f"{'dataset':<14} {'model':<26} {'score':>15} {'vs MLP':>8} {'time':>7}")
    for name, loader, classification in tasks:
        X, y = loader(return_X_y=True)
        if classification:
            models = {
                "RowAttentionClassifier": RowAttentionClassifier(random_state=0),
                "MLPClassifier (scaled)": make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
            }
        else:
            models = {
                "RowAttentionRegressor": RowAttentionRegressor(random_state=0),
                "MLPRegressor (scaled)": make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
                "RidgeCV": RidgeCV(),
            }
        results = {label: cv(model, X, y, classification) for label, model in models.items()}
        mlp_mean = next(s.mean() for label, (s, _) in results.items() if label.startswith("MLP"))
        for label, (scores, seconds) in results.items():
            metric = "acc" if classification else "R2"
            print(f"{name:<14} {label:<26} {metric} {scores.mean():.4f}±{scores.std():.4f} "
                  f"{scores.mean() - mlp_mean:>+8.4f} {seconds:>6.1f}s")


if __name__ == "__main__":
    main()
