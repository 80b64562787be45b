"""Fit/predict cycles in one process, as a grid search runs them: time and
resident memory of the 5th against the 50th. Prints medians over 5-fit windows.
Run: ``python benchmarks/many_fits.py``.
"""

import gc
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


def main(n=50):
    X, y = load_breast_cancer(return_X_y=True)
    times, memory = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            start = time.perf_counter()
            clf = RowAttentionClassifier(hidden_layer_sizes=(64,), max_iter=20, random_state=i)
            clf.fit(X, y).predict(X)
            times.append(time.perf_counter() - start)
            del clf
            gc.collect()
            memory.append(rss_mb())
    early, late = np.median(times[3:8]), np.median(times[-5:])
    print(f"{'fits':<12} {'median s/fit':>12} {'RSS MB':>8}")
    print(f"{'3rd-7th':<12} {early:>12.3f} {memory[7]:>8.0f}")
    print(f"{'46th-50th':<12} {late:>12.3f} {memory[-1]:>8.0f}")
    print(f"ratio late/early time: {late / early:.2f}; memory growth: "
          f"{memory[-1] - memory[4]:+.0f} MB from the 5th fit to the 50th")


if __name__ == "__main__":
    main()
