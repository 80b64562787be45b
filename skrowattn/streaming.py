"""Training on data larger than memory: chunks of a Parquet file for ``partial_fit``."""

__all__ = ["iter_parquet", "partial_fit_parquet"]


def iter_parquet(path, target, chunk_rows=100_000, columns=None):
    """Yield ``(X, y)`` chunks of a Parquet file, at most ``chunk_rows`` rows each.

    Only one chunk is in memory at a time (pyarrow reads the file batch by batch).

    Parameters
    ----------
    path : str or path-like
        The Parquet file.
    target : str
        The column to predict.
    chunk_rows : int, default=100_000
        Rows per chunk.
    columns : list of str or None, default=None
        Feature columns; all but ``target`` when None.

    Yields
    ------
    X : pandas.DataFrame of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,)
    """
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    if columns is None:
        columns = [c for c in parquet.schema_arrow.names if c != target]
    for batch in parquet.iter_batches(batch_size=chunk_rows, columns=list(columns) + [target]):
        frame = batch.to_pandas()
        yield frame[list(columns)], frame[target].to_numpy()


def partial_fit_parquet(estimator, path, target, epochs=1, chunk_rows=100_000, columns=None,
                        classes=None):
    """Train ``estimator`` with ``partial_fit`` on every chunk, ``epochs`` times over.

    Each ``partial_fit`` is one epoch over its chunk, so ``epochs`` passes see as
    many rows as ``fit`` with ``max_iter=epochs`` on the whole file. The
    preprocessing (imputation, encoding, scaling) is fitted on the first chunk:
    write the file in random row order, or make the first chunk representative.

    Parameters
    ----------
    estimator : RowAttentionClassifier or RowAttentionRegressor
    path : str or path-like
    target : str
    epochs : int, default=1
    chunk_rows : int, default=100_000
    columns : list of str or None, default=None
    classes : array-like or None, default=None
        All the classes (classifiers); read from the file's target column when None.

    Returns
    -------
    estimator : the trained estimator
    """
    from sklearn.base import ClassifierMixin

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    kwargs = {}
    if isinstance(estimator, ClassifierMixin):
        if classes is None:
            import numpy as np
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            column = pq.read_table(path, columns=[target]).column(target)
            classes = np.asarray(pc.unique(column).to_pylist())
        kwargs["classes"] = classes
    for _ in range(epochs):
        for X, y in iter_parquet(path, target, chunk_rows, columns):
            estimator.partial_fit(X, y, **kwargs)
    return estimator
