"""Saving and loading a fitted estimator: pickle, joblib, skops, and the bare network.

Fits a RowAttentionClassifier on a DataFrame, saves it three ways, loads each one
back (the pickle also in a fresh Python process) and checks that predictions are
identical; then exports the Keras network alone as a ``.keras`` file.
Run: ``python examples/save_load.py``.
"""

import os
import pickle
import subprocess
import sys
import tempfile
import warnings

import joblib  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402

MAX_ITER = int(os.environ.get("SKROWATTN_EXAMPLE_EPOCHS", "50"))

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = RowAttentionClassifier(max_iter=MAX_ITER, random_state=0).fit(X, y)
expected = clf.predict_proba(X)

with tempfile.TemporaryDirectory() as folder:
    # 1. pickle: the network travels inside as .keras bytes.
    path = os.path.join(folder, "model.pkl")
    with open(path, "wb") as f:
        pickle.dump(clf, f)
    with open(path, "rb") as f:
        loaded = pickle.load(f)
    print(f"pickle: {os.path.getsize(path) / 1024:.0f} KB, identical predictions: "
          f"{np.array_equal(loaded.predict_proba(X), expected)}")

    # ... and in a fresh process, which has never seen the model.
    code = ("import pickle, sys; from sklearn.datasets import load_breast_cancer;"
            "X, _ = load_breast_cancer(return_X_y=True, as_frame=True);"
            "m = pickle.load(open(sys.argv[1], 'rb')); print(m.predict_proba(X)[:, 1].sum())")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True,
                         check=True, env=env)
    print(f"pickle loaded in a fresh process: same predictions: "
          f"{np.isclose(float(out.stdout.split()[-1]), expected[:, 1].sum(), rtol=0, atol=1e-9)}")

    # 2. joblib, the same mechanism.
    path = os.path.join(folder, "model.joblib")
    joblib.dump(clf, path)
    print(f"joblib: identical predictions: "
          f"{np.array_equal(joblib.load(path).predict_proba(X), expected)}")

    # 3. skops: no arbitrary code runs on load; you name the types you trust.
    try:
        import skops.io as sio
    except ImportError:
        print("skops: not installed (pip install skops)")
    else:
        path = os.path.join(folder, "model.skops")
        sio.dump(clf, path)
        untrusted = sio.get_untrusted_types(file=path)
        print(f"skops: types to review before trusting: {untrusted}")
        restored = sio.load(path, trusted=untrusted)
        print(f"skops: identical predictions: "
              f"{np.array_equal(restored.predict_proba(X), expected)}")

    # 4. The Keras network alone (inputs: the preprocessed features).
    path = os.path.join(folder, "network.keras")
    clf.model_.save(path)
    import keras

    network = keras.saving.load_model(path)
    print(f"network.keras: {network.name}, {network.count_params():,} parameters, "
          f"layers {[layer.name for layer in network.layers]}")
