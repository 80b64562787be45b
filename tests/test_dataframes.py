"""Real tables: mixed column types and missing values, fitted as they are."""

import resource
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import get_tags

from skrowattn import RowAttentionClassifier, RowAttentionRegressor
from skrowattn.preprocessing import TabularPreprocessor

FAST = dict(hidden_layer_sizes=(16,), max_iter=40, learning_rate_init=0.01, random_state=0)


def quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def mixed_frame(n=240, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "num": rng.normal(size=n),
            "int_na": pd.array(rng.integers(0, 5, n), dtype="Int64"),
            "f64": pd.array(rng.normal(size=n), dtype="Float64"),
            "cat": pd.Categorical(rng.choice(["a", "b", "c"], n)),
            "s": pd.array(rng.choice(["x", "y", None], n), dtype="string"),
            "obj": rng.choice(["u", "v", "w"], n).astype(object),
            "b": pd.array(rng.choice([True, False], n), dtype="boolean"),
            "when": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
        },
        index=pd.RangeIndex(1000, 1000 + n),
    )
    df.loc[df.index[::7], "num"] = np.nan
    df.loc[df.index[::5], "int_na"] = pd.NA
    df.loc[df.index[::11], "obj"] = None
    df.loc[df.index[::13], "b"] = pd.NA
    signal = df["num"].fillna(0).to_numpy() + 2.0 * (df["cat"] == "a").to_numpy() - (df["obj"] == "u").to_numpy()
    return df, (signal > 0.3).astype(int)


def test_fits_a_mixed_table_as_it_is():
    df, y = mixed_frame()
    before = df.copy(deep=True)
    clf = quiet_fit(RowAttentionClassifier(**FAST), df, y)
    pd.testing.assert_frame_equal(df, before)  # nothing the user passed is modified
    assert clf.score(df, y) > 0.85
    np.testing.assert_array_equal(clf.feature_names_in_, df.columns)
    kinds = clf._prep.kinds_
    assert kinds == {"num": "numeric", "int_na": "numeric", "f64": "numeric", "cat": "categorical",
                     "s": "categorical", "obj": "categorical", "b": "categorical", "when": "datetime"}
    names = list(clf._prep.get_feature_names_out())
    assert {"missing_num", "missing_int_na", "s_<missing>", "obj_<missing>", "b_<missing>"} <= set(names)
    assert {"when_year", "when_month", "when_dayofweek", "when_days"} <= set(names)
    assert "when_hour" not in names  # dates without times get no hour column


def test_unseen_levels_and_missing_values_at_predict():
    df, y = mixed_frame()
    clf = quiet_fit(RowAttentionClassifier(**FAST), df, y)
    new = df.iloc[:6].copy()
    new["cat"] = pd.Categorical(["never seen"] * 6)
    new["obj"] = [None, np.nan, pd.NA, "zzz", "u", "v"]
    new["f64"] = pd.array([None] * 6, dtype="Float64")
    proba = clf.predict_proba(new)
    assert proba.shape == (6, 2) and np.all(np.isfinite(proba))


def test_rare_levels_are_grouped():
    rng = np.random.default_rng(0)
    levels = np.r_[np.repeat(["big1", "big2"], 100), [f"rare{i}" for i in range(40)]]
    frame = pd.DataFrame({"c": rng.permutation(levels), "x": rng.normal(size=240)})
    prep = TabularPreprocessor().fit(frame)
    names = list(prep.get_feature_names_out())
    assert [n for n in names if n.startswith("c_")] == ["c_big1", "c_big2", "c_infrequent_sklearn"]


def test_many_level_category_keeps_its_levels():
    # A country or city column: every level seen min_frequency times keeps a
    # column of its own (a cap of 32 used to fold 154 countries into one).
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"city": rng.permutation(np.repeat([f"c{i}" for i in range(60)], 6)),
                          "x": rng.normal(size=360)})
    names = list(TabularPreprocessor().fit(frame).get_feature_names_out())
    assert len([n for n in names if n.startswith("city_")]) == 60
    capped = TabularPreprocessor(max_categories=32).fit(frame).get_feature_names_out()
    assert len([n for n in capped if n.startswith("city_")]) == 32


def test_smooth_clipping_bounds_extreme_values():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(size=999), 1000.0]  # one data error
    Z = TabularPreprocessor().fit_transform(pd.DataFrame({"x": x}))
    plain = TabularPreprocessor(clip=None).fit_transform(pd.DataFrame({"x": x}))
    assert plain[-1, 0] > 30  # standardized only: 31.6 standard deviations
    assert 2.9 < Z[-1, 0] < 3.0  # bounded by clip=3
    # Ordinary values pass almost unchanged, and the order is kept.
    typical = np.abs(plain[:-1, 0]) < 0.5
    np.testing.assert_allclose(Z[:-1][typical], plain[:-1][typical], atol=0.02)
    assert np.all(np.diff(Z[np.argsort(x), 0]) > 0)
    # New rows far outside the training range are bounded too.
    new = TabularPreprocessor().fit(pd.DataFrame({"x": x})).transform(pd.DataFrame({"x": [1e9]}))
    assert new[0, 0] <= 3.0


def test_id_column_stays_small():
    n = 100_000
    frame = pd.DataFrame({"id": [f"customer-{i}" for i in range(n)],
                          "x": np.random.default_rng(0).normal(size=n)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Z = TabularPreprocessor().fit_transform(frame)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert Z.shape == (n, 2)  # x, and one infrequent column for all the IDs
    assert grown_mb < 1024


def test_preprocessing_none_passes_numbers_through_and_rejects_nan():
    df, y = mixed_frame()
    X = df[["num"]].fillna(0.0).to_numpy() * 1000.0
    clf = quiet_fit(RowAttentionClassifier(preprocessing=None, **FAST), X, y)
    assert clf._prep is None
    assert not get_tags(clf).input_tags.allow_nan
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RowAttentionClassifier(preprocessing=None).fit(X_nan, y)
    with pytest.raises(ValueError, match="could not convert|numeric|string"):
        RowAttentionClassifier(preprocessing=None).fit(df[["obj"]].fillna("u"), y)


def test_a_transformer_as_preprocessing():
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    df, y = mixed_frame()
    ct = make_column_transformer((StandardScaler(), ["num"]), (OneHotEncoder(), ["cat"]))
    clf = quiet_fit(RowAttentionClassifier(preprocessing=ct, **FAST), df.fillna({"num": 0.0}), y)
    assert clf._prep is not ct  # cloned, the user's object untouched
    assert clf.predict(df.fillna({"num": 0.0})).shape == (len(df),)


def test_nan_allowed_in_numeric_arrays_with_auto():
    df, y = mixed_frame()
    X = df[["num"]].to_numpy()
    assert np.isnan(X).any()
    clf = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    assert get_tags(clf).input_tags.allow_nan
    assert np.all(np.isfinite(clf.predict_proba(X)))
    with pytest.raises(ValueError, match="infinity"):
        clf.predict(np.array([[np.inf]]))


def test_object_numpy_arrays():
    df, y = mixed_frame()
    X = df[["num", "obj"]].to_numpy(dtype=object)
    clf = quiet_fit(RowAttentionClassifier(**FAST), X, y)
    assert clf._prep.kinds_ == {"x0": "numeric", "x1": "categorical"}
    assert clf.predict(X).shape == (len(X),)


def test_polars_frames_and_outputs():
    pl = pytest.importorskip("polars")
    df, y = mixed_frame()
    pdf = pl.from_pandas(df.drop(columns=["when"]))
    clf = quiet_fit(RowAttentionClassifier(**FAST), pdf, y)
    np.testing.assert_array_equal(clf.feature_names_in_, pdf.columns)
    np.testing.assert_allclose(clf.predict_proba(pdf), clf.predict_proba(df.drop(columns=["when"])), rtol=1e-6)
    out = clf.set_output(transform="polars").transform(pdf)
    assert isinstance(out, pl.DataFrame) and out.columns == list(clf.get_feature_names_out())


def test_pandas_output_keeps_the_index():
    df, y = mixed_frame()
    clf = quiet_fit(RowAttentionClassifier(**FAST), df, y).set_output(transform="pandas")
    out = clf.transform(df.iloc[10:20])
    assert isinstance(out, pd.DataFrame)
    assert list(out.index) == list(df.index[10:20])


def test_renamed_or_reordered_columns_as_scikit_learn_does():
    df, y = mixed_frame()
    clf = quiet_fit(RowAttentionClassifier(**FAST), df, y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[df.columns[::-1]])
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"num": "number"}))


def test_regressor_on_a_mixed_table():
    df, _ = mixed_frame()
    target = 3.0 * df["num"].fillna(0) + 5.0 * (df["cat"] == "b") + 1e4
    reg = quiet_fit(RowAttentionRegressor(**FAST), df, target)
    assert reg.score(df, target) > 0.8


def test_datetimes_with_times_zones_and_timedeltas():
    stamps = pd.date_range("2021-03-01 08:00", periods=50, freq="37h", tz="Europe/Paris")
    frame = pd.DataFrame({"at": stamps, "took": pd.to_timedelta(np.arange(50), unit="min")})
    frame.loc[3, "at"] = pd.NaT
    prep = TabularPreprocessor()
    with warnings.catch_warnings():
        # No pandas deprecation (Series.dt.dayofweek warns in pandas 3, goes in 4).
        warnings.simplefilter("error", FutureWarning)
        warnings.simplefilter("error", DeprecationWarning)
        Z = prep.fit_transform(frame)
    assert Z[:, list(prep.get_feature_names_out()).index("at_dayofweek")].std() > 0
    names = list(prep.get_feature_names_out())
    assert prep.kinds_ == {"at": "datetime", "took": "timedelta"}
    assert {"at_hour", "at_days", "at_dayofweek", "took_seconds", "missing_at_days"} <= set(names)
    assert np.all(np.isfinite(Z))
    # The time in days since 1970 follows the stamps, whatever the zone.
    days = Z[:, names.index("at_days")]
    assert np.all(np.diff(np.delete(days, 3)) > 0)


def test_complex_columns_are_rejected():
    frame = pd.DataFrame({"z": np.array([1 + 2j, 3j, 1.0])})
    with pytest.raises(ValueError, match="complex"):
        RowAttentionClassifier().fit(frame, [0, 1, 0])
