"""TabularPreprocessor (skrowattn.preprocessing) on its own."""

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import StandardScaler

from skrowattn.preprocessing import TabularPreprocessor


def test_array_and_table_paths_agree():
    # Plain float arrays take a faster path than DataFrames; the numbers match.
    rng = np.random.default_rng(1)
    X = rng.standard_t(2, size=(300, 4))
    X[rng.random(X.shape) < 0.05] = np.nan
    w = rng.integers(1, 4, size=300).astype(float)
    from_array = TabularPreprocessor().fit_transform(X, sample_weight=w)
    from_frame = TabularPreprocessor().fit_transform(pd.DataFrame(X).rename(columns=str),
                                                     sample_weight=w)
    np.testing.assert_allclose(from_array, from_frame, rtol=1e-10, atol=1e-12)
    # And on new rows (the one-row predict path).
    new = rng.standard_t(2, size=(5, 4))
    new[0, 1] = np.nan
    prep_a = TabularPreprocessor().fit(X, sample_weight=w)
    prep_f = TabularPreprocessor().fit(pd.DataFrame(X).rename(columns=str), sample_weight=w)
    for row in new:
        np.testing.assert_allclose(prep_a.transform(row[None]),
                                   prep_f.transform(pd.DataFrame(row[None]).rename(columns=str)),
                                   rtol=1e-10, atol=1e-12)


def test_array_path_is_scikit_learns_imputer_and_scaler():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 3)) * [1, 10, 100]
    X[rng.random(X.shape) < 0.1] = np.nan
    ours = TabularPreprocessor(clip=None).fit_transform(X)
    imputed = SimpleImputer(strategy="median", add_indicator=True).fit_transform(X)
    np.testing.assert_allclose(ours, StandardScaler().fit_transform(imputed), atol=1e-12)


def test_a_large_array_is_fitted_in_threads_to_the_same_numbers(monkeypatch):
    """From _PARALLEL_ROWS rows, the medians and the scaling run in threads:
    the same numbers as one thread, and as scikit-learn's imputer and scaler."""
    from skrowattn import preprocessing

    rng = np.random.default_rng(3)
    X = rng.normal(size=(preprocessing._PARALLEL_ROWS + 1001, 6)).astype(np.float32) * 10
    X[rng.random(X.shape) < 0.02] = np.nan
    X[:, 5] = rng.integers(0, 3, len(X))  # a column with many equal values, no missing ones
    before = X.copy()
    threaded = TabularPreprocessor(clip=None).fit_transform(X)
    monkeypatch.setattr(preprocessing, "_PARALLEL_ROWS", 10**9)
    serial = TabularPreprocessor(clip=None).fit_transform(X)
    np.testing.assert_array_equal(threaded, serial)
    np.testing.assert_array_equal(X, before)
    imputed = SimpleImputer(strategy="median", add_indicator=True).fit_transform(X.astype(float))
    np.testing.assert_allclose(threaded, StandardScaler().fit_transform(imputed),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("table", [False, True])
def test_equal_sample_weights_are_no_weights(table):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(500, 3)) * [1, 10, 100]
    if table:
        X = pd.DataFrame(X, columns=["a", "b", "c"])
    unweighted = TabularPreprocessor().fit_transform(X)
    weighted = TabularPreprocessor().fit_transform(X, sample_weight=np.full(500, 2.5))
    np.testing.assert_array_equal(weighted, unweighted)


def test_mixed_table_columns_and_names():
    frame = pd.DataFrame({
        "age": [20.0, 30.0, np.nan, 50.0] * 10,
        "city": ["a", "b", "a", "c"] * 10,
        "when": pd.date_range("2024-01-01", periods=40, freq="D"),
    })
    prep = TabularPreprocessor(min_frequency=1)
    Z = prep.fit_transform(frame)
    names = list(prep.get_feature_names_out())
    assert Z.shape == (40, len(names)) and np.isfinite(Z).all()
    assert prep.kinds_ == {"age": "numeric", "city": "categorical", "when": "datetime"}
    assert {"age", "missing_age", "city_a", "city_b", "city_c"} <= set(names)
    # Smoothly clipped at 3 standard deviations: never beyond.
    assert np.abs(Z).max() < 3.0
    # New rows: an unseen level encodes as no known level.
    new = prep.transform(frame.head(1).assign(city="z"))
    assert new[0, names.index("city_a")] == Z[:, names.index("city_a")].min()


def test_transform_before_fit_is_refused():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TabularPreprocessor().transform(np.zeros((2, 2)))
