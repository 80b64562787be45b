"""Many fits in one process (as in a grid search): memory does not pile up."""

import gc
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer

from skrowattn import RowAttentionClassifier


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def test_fifty_fit_predict_cycles_keep_memory_flat():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:200], y[:200]
    memory = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(50):
            clf = RowAttentionClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=i)
            clf.fit(X, y).predict(X)
            del clf
            gc.collect()
            memory.append(rss_mb())
    # From the 5th fit on (imports and first compilations done) to the 50th.
    grown = memory[-1] - memory[4]
    assert grown < 200, f"resident memory grew by {grown:.0f} MB over 45 fits"
    assert np.all(np.isfinite(memory))
