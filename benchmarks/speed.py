"""Speed of skrowattn against MLPClassifier and plain Keras, measured in one run.

Workload (issue "Speed"): 100,000 rows x 32 float32 features, binary target,
``hidden_layer_sizes=(64, 32)``, ``batch_size=256``, 5 epochs, no early stopping.
Prints medians of repeats and ratios to MLPClassifier: training rows per second
(all of ``fit`` counted), one-row ``predict`` latency, ``predict`` throughput on
100,000 rows, peak resident memory of fitting 1,000,000 x 64 rows (in a child
process), and ``import skrowattn`` time.
Run: ``python benchmarks/speed.py`` (``--quick`` for fewer repeats).
"""

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

    return RowAttentionClassifier(hidden_layer_sizes=(64, 32), batch_size=BATCH, max_iter=EPOCHS,
                                  n_iter_no_change=EPOCHS + 1, random_state=0)


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


def measure(name, make, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make()
        fit_s = median_time(lambda: model.fit(X, y), REPEATS)
        one = X[:1]
        model.predict(one)
        latency = median_time(lambda: [model.predict(one) for _ in range(50)], 3) / 50
        bulk = median_time(lambda: model.predict(X), REPEATS)
    return {"name": name, "train_rows_s": N * EPOCHS / fit_s, "latency_ms": latency * 1e3,
            "predict_rows_s": N / bulk}


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


def import_time_s():
    code = "import time; t = time.perf_counter(); import skrowattn; print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 check=True).stdout) for _ in range(5)]
    return float(np.median(runs))


def main():
    X, y = data()
    rows = [measure("MLPClassifier", mlp_model, X, y),
            measure("RowAttentionClassifier", skrowattn_model, X, y),
            measure("Keras model.fit (same net)", KerasFit, X, y)]
    try:
        from scikeras.wrappers import KerasClassifier
    except ImportError:
        pass
    else:
        rows.append(measure("scikeras KerasClassifier", lambda: KerasClassifier(
            keras_model, batch_size=BATCH, epochs=EPOCHS, verbose=0), X, y))
    base = rows[0]
    import keras

    print(f"backend: {keras.backend.backend()}; {N:,} rows x {D} float32, batch {BATCH}, "
          f"{EPOCHS} epochs; medians of {REPEATS}")
    print(f"{'system':<28} {'train rows/s':>13} {'ratio':>6} {'1-row predict':>14} {'ratio':>6} "
          f"{'predict rows/s':>15}")
    for r in rows:
        print(f"{r['name']:<28} {r['train_rows_s']:>13,.0f} {r['train_rows_s'] / base['train_rows_s']:>6.2f} "
              f"{r['latency_ms']:>11.3f} ms {r['latency_ms'] / base['latency_ms']:>6.2f} "
              f"{r['predict_rows_s']:>15,.0f}")
    if not QUICK:
        for which in ("mlp_model", "skrowattn_model"):
            print(f"peak RSS fitting 1,000,000 x 64 float32, 1 epoch, {which}: "
                  f"{peak_memory_mb(which):,.0f} MB")
    print(f"import skrowattn: {import_time_s():.3f} s (median of 5, fresh processes)")


if __name__ == "__main__":
    main()
