"""Speed of skrowattn against MLPClassifier and plain Keras, measured in one run.

Workload (issue "Speed"): 100,000 rows x 32 float32 features, binary target,
``hidden_layer_sizes=(64, 32)``, ``batch_size=256``, 5 epochs, no early stopping.
Prints medians of repeats and ratios to MLPClassifier: training rows per second
(all of ``fit`` counted), one-row ``predict`` latency, ``predict`` throughput on
100,000 rows, peak resident memory of fitting 1,000,000 x 64 rows (in a child
process), per-epoch time on small tables (569, 3,000 and 15,000 rows), the first fit in
a fresh process (with ``import tensorflow`` alone beside it), a 45-fit
``GridSearchCV`` on breast_cancer, every inference method on 200,000 rows, and
``import skrowattn`` time.
Run: ``python benchmarks/speed.py`` (``--quick`` for fewer repeats; ``--only small
first grid bulk`` for those sections alone).
"""

import json
import os
import subprocess
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

N, D, EPOCHS, BATCH = 100_000, 32, 5, 256
QUICK = "--quick" in sys.argv
REPEATS = 1 if QUICK else 3


def data(n=N, d=D, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, :4].sum(axis=1) + 0.5 * rng.normal(size=n) > 0).astype(int)
    return X, y


def median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def skrowattn_model():
    from skrowattn import RowAttentionClassifier

    # No early stopping (on by default from 2,000 rows): the same workload as the MLP's.
    return RowAttentionClassifier(hidden_layer_sizes=(64, 32), batch_size=BATCH, max_iter=EPOCHS,
                                  n_iter_no_change=EPOCHS + 1, early_stopping=False,
                                  random_state=0)


def mlp_model():
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(64, 32), batch_size=BATCH, max_iter=EPOCHS,
                         n_iter_no_change=EPOCHS + 1, random_state=0)


def keras_model():
    import keras

    from skrowattn.layers import RowAttention

    inputs = keras.Input((D,))
    h = keras.layers.Dense(64, activation="relu")(inputs)
    h = RowAttention(64, normalization="mean")(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


class KerasFit:
    """Plain ``model.fit`` with the same architecture, as a fit/predict pair."""

    def fit(self, X, y):
        self.model = keras_model()
        self.model.fit(X, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
        return self

    def predict(self, X):
        return (self.model.predict(X, verbose=0, batch_size=4096).ravel() > 0.5).astype(int)

    def predict_proba(self, X):
        return self.model.predict(X, verbose=0)


def one_row_ms(fn, row, calls=200):
    fn(row)
    return median_time(lambda: [fn(row) for _ in range(calls)], 5) / calls * 1e3


def measure(name, make, X, y, methods=("predict",)):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make()
        fit_s = median_time(lambda: model.fit(X, y), REPEATS)
        latency = {m: one_row_ms(getattr(model, m), X[:1]) for m in methods}
        bulk = median_time(lambda: model.predict(X), REPEATS)
    return {"name": name, "train_rows_s": N * EPOCHS / fit_s, "latency_ms": latency,
            "predict_rows_s": N / bulk, "model": model}


def fast_path_error(model):
    """Largest gap between the NumPy inference path and Keras in inference mode."""
    import keras

    from skrowattn.backbone import find_row_attention

    X = data(2000)[0]
    Xs = model._preprocess(X)  # the network's input: imputed and standardized
    with warnings.catch_warnings():  # Keras' note on the input's structure
        warnings.simplefilter("ignore", UserWarning)
        logits = keras.ops.convert_to_numpy(model.model_(Xs, training=False))
    proba = 1 / (1 + np.exp(-logits.astype(np.float64)))
    layer = find_row_attention(model.model_)
    probe = keras.Model(model.model_.inputs, layer.input)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        h = probe(Xs, training=False)
    out, w = layer(h, training=False, return_attention_weights=True)
    out, w = keras.ops.convert_to_numpy(out), keras.ops.convert_to_numpy(w).ravel()
    # The reported weights carry the estimator's novelty term on top of the layer's.
    w = w * np.exp(-model._weight_novelty * keras.ops.convert_to_numpy(layer.distance(h)))
    return max(
        np.abs(model.predict_proba(X)[:, 1] - proba[:, 0]).max(),
        np.abs(model.transform(X) - out).max(),
        np.abs(model.score_samples(X) - w / model._weight_scale).max(),
    )


SMALL_SIZES, SMALL_EPOCHS = (569, 3000, 15000), 50


def per_epoch_ms(make, n):
    """Median wall time of one epoch of ``fit`` on ``n`` rows x 30 (``SMALL_EPOCHS``
    epochs, no early stopping), after one fit that pays the tracing."""
    X, y = data(n, 30, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make().fit(X, y)
        return median_time(lambda: make().fit(X, y), REPEATS) / SMALL_EPOCHS * 1e3


def small_tables():
    """Per-epoch time on small tables, ours against MLPClassifier, same hidden
    sizes (200,) and batch 200 (the MLP's defaults)."""
    from sklearn.neural_network import MLPClassifier

    from skrowattn import RowAttentionClassifier

    settings = dict(max_iter=SMALL_EPOCHS, tol=0.0, n_iter_no_change=SMALL_EPOCHS + 1,
                    random_state=0)
    print(f"\nper epoch, ms (hidden (200,), batch 200, {SMALL_EPOCHS} epochs, medians of "
          f"{REPEATS} fits after a warm-up fit)")
    for n in SMALL_SIZES:
        mlp = per_epoch_ms(lambda: MLPClassifier(**settings), n)
        ours = per_epoch_ms(lambda: RowAttentionClassifier(early_stopping=False, **settings), n)
        print(f"  {n:>6,} rows: RowAttentionClassifier {ours:7.2f}  MLPClassifier {mlp:7.2f}  "
              f"ratio {ours / mlp:5.2f}")


FIRST_FIT = """
import os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.simplefilter("ignore")
from sklearn.datasets import load_breast_cancer
X, y = load_breast_cancer(return_X_y=True)
start = time.perf_counter()
if sys.argv[1] == "tensorflow":
    import tensorflow
elif sys.argv[1] == "mlp":
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    make_pipeline(StandardScaler(), MLPClassifier(random_state=0)).fit(X, y)
else:
    from skrowattn import RowAttentionClassifier
    RowAttentionClassifier(random_state=0).fit(X, y)
print(time.perf_counter() - start)
"""


def first_fit():
    """Wall time from before the import to the fitted model in a fresh process,
    breast_cancer at the defaults (medians of REPEATS processes each): ours on
    each backend, the scaled MLP, and ``import tensorflow`` alone."""
    import tempfile

    def run(what, env):
        return float(subprocess.run([sys.executable, "-c", FIRST_FIT, what], env=env,
                                    capture_output=True, text=True, check=True)
                     .stdout.strip().splitlines()[-1])

    def seconds(what, backend="tensorflow", cache=None):
        """``cache`` (JAX): "cold", each process with an empty compilation
        cache of its own; "warm", all with one that a first process filled."""
        env = dict(os.environ, KERAS_BACKEND=backend)
        if cache is None:
            return float(np.median([run(what, env) for _ in range(REPEATS)]))
        runs = []
        with tempfile.TemporaryDirectory() as shared:
            if cache == "warm":
                env["SKROWATTN_JAX_CACHE_DIR"] = shared
                run(what, env)
            for _ in range(REPEATS):
                with tempfile.TemporaryDirectory() as own:
                    if cache == "cold":
                        env["SKROWATTN_JAX_CACHE_DIR"] = own
                    runs.append(run(what, env))
        return float(np.median(runs))

    mlp, tf_import = seconds("mlp"), seconds("tensorflow")
    print(f"\nfirst fit in a fresh process, breast_cancer, defaults (import included; medians of "
          f"{REPEATS} processes): StandardScaler + MLPClassifier {mlp:.2f} s; "
          f"import tensorflow alone {tf_import:.2f} s")
    for backend, cache in (("tensorflow", None), ("jax", "cold"), ("jax", "warm")):
        try:
            ours = seconds("ours", backend, cache)
        except subprocess.CalledProcessError:
            continue
        label = backend if cache is None else f"{backend}, {cache} compilation cache"
        print(f"  RowAttentionClassifier ({label}): {ours:.2f} s, {ours - mlp:.2f} s more than "
              f"the MLP" + (f", {ours - mlp - tf_import:.2f} s beyond TensorFlow's import"
                            if backend == "tensorflow" else ""))


def grid_search():
    """GridSearchCV of 9 candidates x 5 folds (45 fits and a refit) on
    breast_cancer, ours at the defaults against the scaled MLP pipeline with
    the same candidates; wall time of one search each."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skrowattn import RowAttentionClassifier

    X, y = load_breast_cancer(return_X_y=True)
    grid = {"alpha": [1e-4, 1e-2, 1.0], "hidden_layer_sizes": [(50,), (100,), (200,)]}
    searches = {
        "MLP pipeline": GridSearchCV(
            make_pipeline(StandardScaler(), MLPClassifier(random_state=0)),
            {f"mlpclassifier__{k}": v for k, v in grid.items()}, cv=5),
        "RowAttentionClassifier": GridSearchCV(RowAttentionClassifier(random_state=0), grid, cv=5),
    }
    seconds = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, search in searches.items():
            start = time.perf_counter()
            search.fit(X, y)
            seconds[name] = time.perf_counter() - start
    mlp, ours = seconds["MLP pipeline"], seconds["RowAttentionClassifier"]
    print(f"\nGridSearchCV, breast_cancer, 9 candidates x 5 folds: RowAttentionClassifier "
          f"{ours:.1f} s, MLP pipeline {mlp:.1f} s, ratio {ours / mlp:.2f} (best: "
          f"{searches['RowAttentionClassifier'].best_score_:.4f} against "
          f"{searches['MLP pipeline'].best_score_:.4f})")


def bulk_predict():
    """Every inference method on 200,000 rows x 32 (float64, as most tables
    arrive), ours at its default hidden sizes (200,) and at (64, 32), against
    MLPClassifier with the same; both fitted for 3 epochs on 5,000 rows (the
    weights do not change the time). Medians of 7 calls."""
    from sklearn.neural_network import MLPClassifier

    from skrowattn import RowAttentionClassifier

    X, y = data(200_000)
    X = X.astype(np.float64)
    print("\nbulk inference, 200,000 x 32 float64 rows (medians of 7 calls; ratio: the MLP's "
          "time over ours for predict / predict_proba, ours over our predict for the others)")
    print(f"{'hidden':<10} {'method':<14} {'ours s':>8} {'MLP s':>8} {'ratio':>6}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for hidden in ((200,), (64, 32)):
            ours = RowAttentionClassifier(hidden_layer_sizes=hidden, max_iter=3, random_state=0)
            mlp = MLPClassifier(hidden_layer_sizes=hidden, max_iter=3, random_state=0)
            ours.fit(X[:5000], y[:5000])
            mlp.fit(X[:5000], y[:5000])
            times = {m: median_time(lambda: getattr(ours, m)(X), 7) for m in LATENCY}
            for method in LATENCY:
                if method in ("predict", "predict_proba"):
                    theirs = median_time(lambda: getattr(mlp, method)(X), 7)
                    ratio, shown = theirs / times[method], f"{theirs:8.3f}"
                else:
                    ratio, shown = times[method] / times["predict"], f"{'-':>8}"
                print(f"{str(hidden):<10} {method:<14} {times[method]:8.3f} {shown} "
                      f"{ratio:5.2f}x")


SECTIONS = {"small": small_tables, "first": first_fit, "grid": grid_search,
            "bulk": bulk_predict}


def jax_row():
    """The RowAttentionClassifier row under KERAS_BACKEND=jax, from a child process."""
    env = dict(os.environ, KERAS_BACKEND="jax")
    args = [sys.executable, os.path.abspath(__file__), "--jax-row"] + (["--quick"] if QUICK else [])
    out = subprocess.run(args, capture_output=True, text=True, env=env)
    if out.returncode:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_memory_mb(which):
    code = f"""
import os, resource, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
warnings.simplefilter("ignore")
import numpy as np
sys_path = {os.path.dirname(os.path.abspath(__file__))!r}
import sys; sys.path.insert(0, sys_path)
from speed import skrowattn_model, mlp_model
rng = np.random.default_rng(0)
X = rng.normal(size=(1_000_000, 64)).astype(np.float32)
y = (X[:, 0] > 0).astype(int)
model = {which}()
model.set_params(max_iter=1, n_iter_no_change=2)
model.fit(X, y)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def import_check():
    """``import skrowattn`` time (median of 5 fresh processes), and whether
    constructing, cloning and set_params load keras or tensorflow."""
    code = "import time; t = time.perf_counter(); import skrowattn; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    code = ("import sys; from sklearn.base import clone; from skrowattn import RowAttentionClassifier;"
            "clone(RowAttentionClassifier()).set_params(alpha=1.0);"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'keras', 'tensorflow', 'jax'}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    return float(np.median(runs)), loaded


LATENCY = ("predict", "predict_proba", "transform", "score_samples")


def main():
    if "-h" in sys.argv or "--help" in sys.argv:  # (its few flags are read by hand)
        print(__doc__)
        return
    if "--only" in sys.argv:  # e.g. --only small grid: those sections alone
        for name in sys.argv[sys.argv.index("--only") + 1:]:
            SECTIONS[name]()
        return
    if "--jax-row" in sys.argv:
        X, y = data()
        row = measure("RowAttentionClassifier (JAX)", skrowattn_model, X, y, LATENCY)
        row.pop("model")
        print(json.dumps(row))
        return
    X, y = data()
    rows = [measure("MLPClassifier", mlp_model, X, y, ("predict", "predict_proba")),
            measure("RowAttentionClassifier (TF)", skrowattn_model, X, y, LATENCY)]
    ours = rows[1]["model"]
    jax = jax_row()
    if jax is not None:
        rows.append(jax)
    rows.append(measure("Keras model.fit (TF)", KerasFit, X, y))
    try:
        from scikeras.wrappers import KerasClassifier
    except ImportError:
        pass
    else:
        rows.append(measure("scikeras KerasClassifier", lambda: KerasClassifier(
            keras_model, batch_size=BATCH, epochs=EPOCHS, verbose=0), X, y))
    base = rows[0]
    import keras

    print(f"{N:,} rows x {D} float32, hidden (64, 32), batch {BATCH}, {EPOCHS} epochs; "
          f"medians of {REPEATS} fits; keras {keras.__version__}; {os.cpu_count()} cores")
    print(f"{'system':<30} {'train rows/s':>13} {'ratio':>6} {'1-row predict':>14} {'ratio':>6} "
          f"{'predict rows/s':>15} {'ratio':>6}")
    keras_rows = next(r for r in rows if r["name"].startswith("Keras"))["predict_rows_s"]
    for r in rows:
        lat = r["latency_ms"]["predict"]
        print(f"{r['name']:<30} {r['train_rows_s']:>13,.0f} "
              f"{r['train_rows_s'] / base['train_rows_s']:>6.2f} {lat:>11.3f} ms "
              f"{lat / base['latency_ms']['predict']:>6.2f} {r['predict_rows_s']:>15,.0f} "
              f"{r['predict_rows_s'] / keras_rows:>6.2f}")
    print("(training and latency ratios are to MLPClassifier; throughput ratios to Keras predict)")
    print("\none-row latency, ms (ratio to MLPClassifier's predict_proba for the last two)")
    for r in rows[1:3]:
        if r is None or "transform" not in r["latency_ms"]:
            continue
        parts = []
        for m in LATENCY:
            ref = base["latency_ms"]["predict" if m == "predict" else "predict_proba"]
            parts.append(f"{m} {r['latency_ms'][m]:.3f} ({r['latency_ms'][m] / ref:.2f}x)")
        print(f"  {r['name']}: " + ", ".join(parts))
    print(f"  MLPClassifier: predict {base['latency_ms']['predict']:.3f}, "
          f"predict_proba {base['latency_ms']['predict_proba']:.3f}")
    print(f"NumPy fast path vs Keras inference mode, largest difference: {fast_path_error(ours):.2e}")
    if not QUICK:
        for which in ("mlp_model", "skrowattn_model"):
            print(f"peak RSS fitting 1,000,000 x 64 float32, 1 epoch, {which}: "
                  f"{peak_memory_mb(which):,.0f} MB")
    small_tables()
    first_fit()
    grid_search()
    bulk_predict()
    seconds, loaded = import_check()
    print(f"import skrowattn: {seconds:.3f} s (median of 5, fresh processes); modules loaded by "
          f"import + construct + clone + set_params: {loaded}")


if __name__ == "__main__":
    main()
