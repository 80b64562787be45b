"""Training on data larger than memory: chunks of a Parquet file for ``partial_fit``."""

import os
import pickle
import warnings

__all__ = ["iter_parquet", "partial_fit_parquet"]

_CHECKPOINT_FORMAT = 1


def _batches(path, target, chunk_rows, columns):
    """The file's feature columns, and its record batches of ``chunk_rows`` rows."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    if columns is None:
        columns = [c for c in parquet.schema_arrow.names if c != target]
    columns = list(columns)
    return columns, parquet.iter_batches(batch_size=chunk_rows, columns=columns + [target])


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
    columns, batches = _batches(path, target, chunk_rows, columns)
    for batch in batches:
        yield _to_xy(batch, columns, target)


def _to_xy(batch, columns, target):
    frame = batch.to_pandas()
    return frame[columns], frame[target].to_numpy()


def partial_fit_parquet(estimator, path, target, epochs=1, chunk_rows=100_000, columns=None,
                        classes=None, checkpoint=None):
    """Train ``estimator`` with ``partial_fit`` on every chunk, ``epochs`` times over.

    Each ``partial_fit`` is one epoch over its chunk, so ``epochs`` passes see as
    many rows as ``fit`` with ``max_iter=epochs`` on the whole file. The
    preprocessing (imputation, encoding, scaling) is fitted on the first chunk:
    write the file in random row order, or make the first chunk representative.

    With ``checkpoint``, the estimator (network, Adam's state, everything
    fitted) and the position in the stream are saved to that file after every
    chunk, atomically: written to a temporary file, then renamed over the old
    one, so a crash at any moment leaves the last complete checkpoint. A call
    with the same ``checkpoint`` (and the same file, target, columns,
    ``chunk_rows`` and ``epochs``) continues after the last completed chunk and
    ends with the model an uninterrupted run gives. A finished run's checkpoint
    stays: calling again returns its model without training; delete the file to
    start over.

    Ctrl-C stops after the current chunk's current steps (see ``partial_fit``)
    and returns the estimator trained so far, with a warning; the checkpoint
    keeps the last completed chunk.

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
    checkpoint : str or path-like or None, default=None
        File to save progress to after each chunk, and to resume from.

    Returns
    -------
    estimator : the trained estimator

    Examples
    --------
    >>> from skrowattn import RowAttentionClassifier
    >>> from skrowattn.streaming import partial_fit_parquet
    >>> clf = partial_fit_parquet(RowAttentionClassifier(), "train.parquet", "y",
    ...                           epochs=5, checkpoint="train.ckpt")  # doctest: +SKIP
    """
    import pyarrow.parquet as pq
    from sklearn.base import ClassifierMixin

    from skrowattn.interrupt import catch_interrupt

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    kwargs = {}
    if isinstance(estimator, ClassifierMixin):
        if classes is None:
            import numpy as np
            import pyarrow.compute as pc

            column = pq.read_table(path, columns=[target]).column(target)
            classes = np.asarray(pc.unique(column).to_pylist())
        kwargs["classes"] = classes
    done = 0
    if checkpoint is not None:
        run = {"rows": pq.ParquetFile(path).metadata.num_rows, "target": target,
               "columns": None if columns is None else list(columns),
               "chunk_rows": chunk_rows, "epochs": epochs}
        if os.path.exists(checkpoint):
            done = _resume(estimator, checkpoint, run)
    position = 0
    with catch_interrupt() as guard:
        for _ in range(epochs):
            names, batches = _batches(path, target, chunk_rows, columns)
            for batch in batches:
                position += 1
                if position <= done:  # trained before the checkpoint
                    continue
                epochs_before = getattr(estimator, "n_iter_", 0)
                estimator.partial_fit(*_to_xy(batch, names, target), **kwargs)
                # Ctrl-C (partial_fit warned): save the chunk only if its epoch ran in full.
                finished = estimator.n_iter_ > epochs_before
                if checkpoint is not None and finished:
                    _save(checkpoint, {"format": _CHECKPOINT_FORMAT, "run": run,
                                       "chunks_done": position, "estimator": estimator})
                if guard.requested:
                    return estimator
    return estimator


def _save(path, content):
    """Pickle ``content`` to ``path`` atomically: a crash leaves the old file or
    the new one, never a part of either."""
    path = os.fspath(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as f:
            pickle.dump(content, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def _resume(estimator, path, run):
    """Loads the checkpoint at ``path`` into ``estimator``; the chunks it holds."""
    with open(path, "rb") as f:
        content = pickle.load(f)
    if not (isinstance(content, dict) and content.get("format") == _CHECKPOINT_FORMAT):
        raise ValueError(f"{os.fspath(path)!r} is not a checkpoint of partial_fit_parquet.")
    if content["run"] != run:
        differ = {k: (content["run"].get(k), v) for k, v in run.items()
                  if content["run"].get(k) != v}
        raise ValueError(
            f"The checkpoint {os.fspath(path)!r} belongs to another run (saved, now): "
            f"{differ}. Pass another checkpoint path, or delete this file to start over."
        )
    saved = content["estimator"]
    if type(saved) is not type(estimator):
        raise TypeError(
            f"The checkpoint {os.fspath(path)!r} holds a {type(saved).__name__}, "
            f"not a {type(estimator).__name__}."
        )
    theirs, ours = saved.get_params(deep=False), estimator.get_params(deep=False)
    differ = [k for k in ours if repr(ours[k]) != repr(theirs.get(k))]
    if differ:
        raise ValueError(
            f"The checkpoint {os.fspath(path)!r} was trained with other parameters: "
            + ", ".join(f"{k}={theirs.get(k)!r} (now {ours[k]!r})" for k in differ)
            + ". Use the same estimator, or delete the file to start over."
        )
    vars(estimator).clear()
    vars(estimator).update(vars(saved))
    # Said aloud: a checkpoint left from an earlier run would otherwise pass
    # silently for a new one.
    warnings.warn(
        f"Resuming from the checkpoint {os.fspath(path)!r}: its {content['chunks_done']} "
        "chunks are not trained again.", UserWarning,
    )
    return content["chunks_done"]
