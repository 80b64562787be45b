"""Turning a user's table into the numbers the network trains on.

``TabularPreprocessor`` is what ``preprocessing="auto"`` does:

- numeric columns (int, float, pandas' nullable ``Int64``/``Float64``, and object
  columns holding only numbers): missing values imputed with the median, plus a
  0/1 missing-value indicator for each column that had missing values at fit;
- categorical columns (``category``, ``object``/``string``, ``bool``/``boolean``):
  one-hot encoded; missing values (``None``, ``NaN``, ``pd.NA``) are a level of
  their own; levels seen in fewer than ``min_frequency`` rows, and all beyond the
  ``max_categories - 1`` most frequent, are grouped into one "infrequent" column;
  levels unseen at fit go to that column too (or nowhere, when there was none);
- datetime columns: encoded into numeric parts (year, month, day, day of week,
  hour and minute when times are present, and the time in days since 1970), each
  then treated as a numeric column; timedelta columns become seconds;
- then every resulting column is standardized (weighted by ``sample_weight``)
  and smoothly clipped, ``z / sqrt(1 + (z / clip)**2)``: values within a few
  standard deviations pass almost unchanged, and an extreme value (a data
  error, a rare one-hot level, a new row far outside the training range) is
  bounded by ``clip`` instead of being extrapolated linearly by the network.

A column with as many levels as rows, such as an ID, has no frequent level: it
becomes a single infrequent column, costs one column of memory, and carries no
information. Drop such columns before fitting if they are not wanted at all.
"""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from skrowattn._parallel import map_blocks, row_blocks

__all__ = ["TabularPreprocessor", "is_table", "to_frame"]

_MISSING = "<missing>"
_BLOCK = 65536  # rows per block when computing statistics of large arrays
# Rows from which fitting on a numeric array computes its medians and scales
# its rows in threads (fewer: starting them costs more than they save).
_PARALLEL_ROWS = 16384
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "empty"}


def is_table(X):
    """True for DataFrames (pandas, polars) and for non-numeric NumPy arrays."""
    if isinstance(X, pd.DataFrame) or type(X).__module__.split(".")[0] == "polars":
        return True
    dtype = getattr(X, "dtype", None)
    return dtype is not None and dtype.kind in "OUSMm"


def to_frame(X):
    """A pandas DataFrame view of ``X`` (never a modified original)."""
    if isinstance(X, pd.DataFrame):
        return X
    if type(X).__module__.split(".")[0] == "polars":
        return X.to_pandas()
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D table of shape (n_samples, n_features); got an array of "
            f"shape {X.shape}."
        )
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def _column_kind(col):
    if isinstance(col.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(col.dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(col.dtype):
        return "timedelta"
    if pd.api.types.is_numeric_dtype(col.dtype):
        if pd.api.types.is_complex_dtype(col.dtype):
            raise ValueError(f"Column {col.name!r} holds complex numbers, which are not supported.")
        return "numeric"
    inferred = pd.api.types.infer_dtype(col, skipna=True)
    if inferred in _NUMBER_KINDS:
        return "numeric"
    if inferred in ("datetime64", "datetime", "date"):
        return "datetime"
    if inferred == "complex":
        raise ValueError(f"Column {col.name!r} holds complex numbers, which are not supported.")
    return "categorical"


def _missing(X):
    return np.isnan(X) if X.dtype.kind == "f" else np.zeros(X.shape, bool)


def _as_float(col):
    values = pd.to_numeric(col, errors="coerce")
    return values.astype("float64").to_numpy(na_value=np.nan)


def _as_text(col):
    missing = col.isna().to_numpy()
    # Object dtype: a fixed-width string array would truncate longer labels.
    text = col.astype(object).astype(str).to_numpy(dtype=object)
    text[missing] = _MISSING
    return text.reshape(-1, 1)


def _datetime_parts(col):
    col = pd.to_datetime(col, errors="coerce", utc=getattr(col.dt, "tz", None) is not None)
    parts = {
        "year": col.dt.year,
        "month": col.dt.month,
        "day": col.dt.day,
        "dayofweek": col.dt.day_of_week,  # (dt.dayofweek: deprecated in pandas 3)
        "hour": col.dt.hour,
        "minute": col.dt.minute,
        "days": (col - pd.Timestamp(0, tz=col.dt.tz)) / pd.Timedelta(days=1),
    }
    return {name: values.astype("float64").to_numpy(na_value=np.nan) for name, values in parts.items()}


class TabularPreprocessor(TransformerMixin, BaseEstimator):
    """Impute, encode and standardize a mixed-type table (``preprocessing="auto"``).

    Parameters
    ----------
    max_categories : int or None, default=None
        Most one-hot columns per categorical column, the infrequent column
        included; ``None``: every level seen in ``min_frequency`` rows keeps a
        column of its own (a cap folds the levels of a many-level column, such
        as a country or a city, into one uninformative column).
    min_frequency : int, default=5
        Levels seen in fewer rows than this are grouped as infrequent.
    clip : float or None, default=3.0
        Scale of the smooth clipping applied after standardization (in standard
        deviations); ``None`` leaves the standardized values as they are.

    Attributes
    ----------
    kinds_ : dict or None
        Column name -> "numeric", "categorical", "datetime" or "timedelta";
        None when fitted on a numeric array (whose dtype is then kept).
    feature_names_out_ : ndarray of str
        Names of the output columns.
    """

    def __init__(self, max_categories=None, min_frequency=5, clip=3.0):
        self.max_categories = max_categories
        self.min_frequency = min_frequency
        self.clip = clip

    def _numeric_block(self, frame):
        """The numeric matrix: numeric columns, datetime parts, timedeltas."""
        columns, names = [], []
        for name, kind in self.kinds_.items():
            col = frame[name]
            if kind == "numeric":
                columns.append(_as_float(col))
                names.append(str(name))
            elif kind == "timedelta":
                columns.append(pd.to_timedelta(col, errors="coerce").dt.total_seconds()
                               .astype("float64").to_numpy(na_value=np.nan))
                names.append(f"{name}_seconds")
            elif kind == "datetime":
                for part, values in _datetime_parts(col).items():
                    if part in self._datetime_parts_[name]:
                        columns.append(values)
                        names.append(f"{name}_{part}")
        if not columns:
            return np.zeros((len(frame), 0)), names
        return np.column_stack(columns), names

    def fit(self, X, y=None, sample_weight=None):
        """Learns the column kinds, medians, levels and scaling of ``X``.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table of any column types, or a numeric array (missing values as NaN).
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,) or None
            Row weights for the standardization's mean and variance.

        Returns
        -------
        self
        """
        self.fit_transform(X, y, sample_weight=sample_weight)
        return self

    # A numeric array takes a faster path than a table: median imputation with
    # missing-value indicators, and weighted standard scaling, as
    # SimpleImputer(add_indicator=True) and StandardScaler compute them; but
    # `transform` is plain NumPy in the array's own dtype, so a row costs
    # microseconds, and a large array one output copy. Measured on one row of
    # breast_cancer: 17 us here, 626 us through SimpleImputer + StandardScaler,
    # which alone would make a one-row predict (112 us) slower than the MLP
    # pipeline's (548 us). tests/test_preprocessing.py checks that both paths
    # give the same numbers.
    def _fit_transform_array(self, X, sample_weight):
        n_features = X.shape[1]
        missing = _missing(X)
        self._indicators = np.flatnonzero(missing.any(axis=0))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            # Column by column: a median copies its input, and a column is small.
            medians = np.array(self._map(lambda j: np.nanmedian(X[:, j]), range(n_features), X)
                               if len(X) else np.zeros(n_features))
        # keep_empty_features: an all-missing column is imputed with 0.
        self._fill = np.where(np.isnan(medians), 0.0, medians)
        Z = self._impute(X, missing)
        del missing
        # scikit-learn's (weighted) statistics, fed in blocks of rows: one fit
        # on the whole array makes float64 temporaries the size of the data.
        self._scaler = StandardScaler()
        for start in range(0, len(Z), _BLOCK):
            block = slice(start, start + _BLOCK)
            self._scaler.partial_fit(
                Z[block], sample_weight=None if sample_weight is None else sample_weight[block]
            )
        names = [f"x{i}" for i in range(n_features)]
        names += [f"missing_x{i}" for i in self._indicators]
        self.feature_names_out_ = np.asarray(names, dtype=object)
        self._map(lambda rows: self._scale(Z[rows]), row_blocks(len(Z), 4096), Z)
        return Z

    @staticmethod
    def _map(work, blocks, X):
        """``[work(b) for b in blocks]``, in threads for a large ``X`` (NumPy
        releases the GIL in both): the medians of 100,000 x 32 rows take 21 ms
        against 45 ms on one thread (2 cores, measured)."""
        if len(X) < _PARALLEL_ROWS:
            return [work(b) for b in blocks]
        return map_blocks(work, list(blocks))

    def _impute(self, X, missing):
        Z = np.empty((X.shape[0], X.shape[1] + len(self._indicators)),
                     X.dtype if X.dtype.kind == "f" else np.float64)
        Z[:, :X.shape[1]] = X
        if missing.any():
            rows, cols = np.nonzero(missing)
            Z[rows, cols] = self._fill[cols]
        Z[:, X.shape[1]:] = missing[:, self._indicators]
        return Z

    def _scale(self, Z):
        Z -= self._scaler.mean_.astype(Z.dtype)
        Z /= self._scaler.scale_.astype(Z.dtype)
        return self._clip(Z)

    def _clip(self, Z):
        """Smooth clipping in place (as RealMLP's preprocessing, Holzmueller et
        al. 2024): no scikit-learn transformer does it, and a FunctionTransformer
        would cost a copy and its own validation on the one-row path."""
        clip = getattr(self, "clip", None)  # None in models pickled before it existed
        if clip is not None:
            t = Z * (1.0 / clip)  # one temporary, updated in place
            np.square(t, out=t)
            t += 1.0
            np.sqrt(t, out=t)
            Z /= t
        return Z

    def fit_transform(self, X, y=None, sample_weight=None):
        """``fit(X, sample_weight=sample_weight).transform(X)``, in one pass.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
            Numeric columns imputed (with missing-value indicators), levels one-hot
            encoded, everything standardized and smoothly clipped. A numeric
            array keeps its float dtype; a table gives float64.
        """
        if sample_weight is not None and np.all(sample_weight == sample_weight[:1]):
            # Equal weights: the unweighted statistics, the same to rounding
            # (5e-15 apart), in 60% of the time (100,000 x 32 rows: 18 ms
            # against 30).
            sample_weight = None
        if not is_table(X):  # a numeric array: impute and scale, keep its dtype
            self.kinds_ = None
            return self._fit_transform_array(np.asarray(X), sample_weight)
        frame = to_frame(X)
        self.kinds_ = {name: _column_kind(frame[name]) for name in frame.columns}
        # Keep only the datetime parts that vary (no hour/minute for dates).
        self._datetime_parts_ = {}
        for name, kind in self.kinds_.items():
            if kind == "datetime":
                parts = _datetime_parts(frame[name])
                self._datetime_parts_[name] = [
                    p for p, v in parts.items() if np.nanstd(v) > 0 or p == "days"
                ] if np.isfinite(parts["days"]).any() else ["days"]
        numeric, names = self._numeric_block(frame)
        self._imputer = None
        blocks = []
        if numeric.shape[1]:
            self._imputer = SimpleImputer(strategy="median", add_indicator=True,
                                          keep_empty_features=True)
            blocks.append(self._imputer.fit_transform(numeric))
            names = list(names) + [
                f"missing_{names[i]}" for i in getattr(self._imputer.indicator_, "features_", [])
            ]
        self._encoders = {}
        for name, kind in self.kinds_.items():
            if kind != "categorical":
                continue
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                min_frequency=self.min_frequency,
                max_categories=self.max_categories,
                sparse_output=False,
                dtype=np.float64,
            )
            blocks.append(encoder.fit_transform(_as_text(frame[name])))
            names += [f"{name}_{out.split('_', 1)[1]}" for out in encoder.get_feature_names_out(["c"])]
            self._encoders[name] = encoder
        self.feature_names_out_ = np.asarray(names, dtype=object)
        Z = np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
        self._scaler = StandardScaler().fit(Z, sample_weight=sample_weight)
        return self._clip(self._scaler.transform(Z))

    def transform(self, X):
        """Imputes, encodes and scales ``X`` as learned in ``fit``.

        Unseen levels go to the infrequent column (or none); columns are
        matched by name for a table, by position for an array.

        Returns
        -------
        ndarray of shape (n_samples, n_features_out)
        """
        check_is_fitted(self, "feature_names_out_")
        return self.transform_unchecked(X)

    def transform_unchecked(self, X):
        """``transform`` without the fitted check and scikit-learn's set_output
        wrapper: the estimators' one-row predict path calls this."""
        if self.kinds_ is None:
            X = np.asarray(X)
            return self._scale(self._impute(X, _missing(X)))
        frame = to_frame(X)
        if list(frame.columns) != list(self.kinds_):
            # An array without column names: columns are matched by position,
            # as scikit-learn does (the estimator has checked names and count).
            frame = frame.set_axis(list(self.kinds_), axis=1)
        blocks = []
        if self._imputer is not None:
            numeric, _ = self._numeric_block(frame)
            blocks.append(self._imputer.transform(numeric))
        for name, encoder in self._encoders.items():
            blocks.append(encoder.transform(_as_text(frame[name])))
        Z = np.hstack(blocks) if blocks else np.zeros((len(frame), 0))
        return self._clip(self._scaler.transform(Z))

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns (``feature_names_out_``)."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()
