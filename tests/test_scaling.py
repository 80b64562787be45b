"""Parallel search on joblib's backends (loky, Dask, Ray) and streaming from Parquet."""

import os
import random
import threading
import tracemalloc

import numpy as np
import pytest
from joblib import Parallel, delayed, parallel_config
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_validate

from skrowattn import RowAttentionClassifier

GRID = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(4,), (16,)]}  # 4 candidates


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.8).astype(int)
    return X, y


def small_model():
    return RowAttentionClassifier(max_iter=5, random_state=0)


def search(X, y, n_jobs=None):
    # error_score="raise": a fit failing in every worker must fail the test,
    # not give nan scores that compare equal.
    return GridSearchCV(small_model(), GRID, cv=3, n_jobs=n_jobs, error_score="raise").fit(X, y)


@pytest.fixture(scope="module")
def serial(data):
    return search(*data)


def assert_same_search(result, serial):
    assert result.best_params_ == serial.best_params_
    np.testing.assert_allclose(result.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], atol=1e-9)


@pytest.mark.parametrize("n_jobs", [2, -1])
def test_loky_search_matches_serial(data, serial, n_jobs):
    assert_same_search(search(*data, n_jobs=n_jobs), serial)


def test_randomized_search_and_cross_validate_in_parallel(data):
    X, y = data
    kwargs = dict(n_iter=3, cv=3, random_state=0, error_score="raise")
    one = RandomizedSearchCV(small_model(), GRID, n_jobs=1, **kwargs).fit(X, y)
    two = RandomizedSearchCV(small_model(), GRID, n_jobs=2, **kwargs).fit(X, y)
    assert one.best_params_ == two.best_params_
    a = cross_validate(small_model(), X, y, cv=3, n_jobs=1, error_score="raise")["test_score"]
    b = cross_validate(small_model(), X, y, cv=3, n_jobs=2, error_score="raise")["test_score"]
    np.testing.assert_allclose(a, b, atol=1e-9)


def test_fit_does_not_depend_on_other_threads_drawing_random_numbers(data):
    X, y = data
    quiet = small_model().fit(X, y).predict_proba(X)
    stop = threading.Event()

    def draw():  # as a Dask worker's own threads do, between our seeding and our draws
        while not stop.is_set():
            random.random()

    noisy = threading.Thread(target=draw)
    noisy.start()
    try:
        busy = small_model().fit(X, y).predict_proba(X)
    finally:
        stop.set()
        noisy.join()
    np.testing.assert_array_equal(quiet, busy)


def _worker_thread_settings():
    import skrowattn  # noqa: F401  (sizes the thread pools on import)

    return os.environ.get("OMP_NUM_THREADS"), os.environ.get("TF_NUM_INTRAOP_THREADS")


def test_workers_size_tensorflow_thread_pools_to_their_share():
    settings = Parallel(n_jobs=2)(delayed(_worker_thread_settings)() for _ in range(2))
    for omp, intra in settings:
        # loky gives each worker cpu_count // n_jobs threads; TensorFlow follows.
        assert omp == str(max(1, os.cpu_count() // 2))
        assert intra == omp


def test_dask_cluster_search_matches_serial(data, serial):
    import distributed
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster), parallel_config(backend="dask"):
            result = search(*data, n_jobs=-1)
    assert_same_search(result, serial)


def test_ray_search_matches_serial(data, serial):
    # Ray has no wheels for the newest Pythons; the `distributed` extra skips it there.
    ray = pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    register_ray()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with parallel_config(backend="ray"):
            result = search(*data, n_jobs=-1)
    finally:
        ray.shutdown()
    assert_same_search(result, serial)


def write_parquet(path, n_rows, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, 6)).astype(np.float32)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    frame["color"] = rng.choice(["red", "green", "blue"], size=n_rows)
    frame["y"] = ((X[:, 0] - X[:, 1] + (frame["color"] == "red") > 0.3)).astype(int)
    frame.to_parquet(path, row_group_size=500)
    return frame


def test_partial_fit_on_parquet_chunks_matches_fit(tmp_path):
    from skrowattn.streaming import partial_fit_parquet

    path = tmp_path / "train.parquet"
    frame = write_parquet(path, 6000)
    test = write_parquet(tmp_path / "test.parquet", 2000, seed=1)
    X_test, y_test = test.drop(columns="y"), test["y"]
    params = dict(hidden_layer_sizes=(32,), random_state=0)
    whole = RowAttentionClassifier(max_iter=4, n_iter_no_change=10, **params)
    whole.fit(frame.drop(columns="y"), frame["y"])
    streamed = partial_fit_parquet(RowAttentionClassifier(**params), path, "y", epochs=4,
                                   chunk_rows=1000)
    assert streamed.n_iter_ == 4 * 6  # one epoch per chunk
    assert list(streamed.classes_) == [0, 1]
    assert list(streamed.feature_names_in_) == list(X_test.columns)
    full_score, stream_score = whole.score(X_test, y_test), streamed.score(X_test, y_test)
    print(f"held-out accuracy: fit {full_score:.4f}, partial_fit on chunks {stream_score:.4f}")
    # Four epochs learn the rule (chance is about 0.5): 0.81 to 0.92 over
    # random_state 0 to 3, so the floor leaves room for the seed.
    assert full_score > 0.78
    assert stream_score >= full_score - 0.02


def test_streaming_memory_is_bounded_by_the_chunk_not_the_file(tmp_path):
    from skrowattn.streaming import partial_fit_parquet

    peaks = []
    for n_rows in (4000, 16000):
        path = tmp_path / f"{n_rows}.parquet"
        write_parquet(path, n_rows)
        model = RowAttentionClassifier(hidden_layer_sizes=(8,), random_state=0)
        partial_fit_parquet(model, path, "y", chunk_rows=1000)  # compiles outside the count
        tracemalloc.start()
        partial_fit_parquet(model, path, "y", chunk_rows=1000)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # Four times the rows, the same chunk size: the peak must not follow the file.
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_partial_fit_parquet_rejects_no_epochs(tmp_path):
    from skrowattn.streaming import partial_fit_parquet

    with pytest.raises(ValueError, match="epochs must be at least 1"):
        partial_fit_parquet(small_model(), tmp_path / "x.parquet", "y", epochs=0)
