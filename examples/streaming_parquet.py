"""Streaming: train on a Parquet file chunk by chunk, with memory bounded by the chunk.

Generates a table of a few million rows on the spot (numbers, a category and a
few missing values), written to Parquet piece by piece, then trains a
RowAttentionClassifier with ``partial_fit`` over chunks read back with pyarrow
(``skrowattn.streaming.partial_fit_parquet``). For comparison it fits the same
model with ``fit`` on the whole table in memory, over the same number of epochs,
and prints both held-out accuracies and each one's peak memory. The streamed run
saves a checkpoint after every chunk (``checkpoint=``), so a crashed run resumes.
Run: ``python examples/streaming_parquet.py`` (SKROWATTN_EXAMPLE_ROWS=20000 for
a small run).
"""

import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

ROWS = int(os.environ.get("SKROWATTN_EXAMPLE_ROWS", "2000000"))
EPOCHS = int(os.environ.get("SKROWATTN_EXAMPLE_EPOCHS", "3"))
CHUNK = min(200_000, max(ROWS // 10, 1000))
N_FEATURES = 12


def make_rows(n, rng):
    X = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEATURES)])
    frame["region"] = rng.choice(["north", "south", "east", "west"], size=n)
    signal = X[:, 0] - X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + (frame["region"] == "east")
    frame["y"] = (signal + 0.5 * rng.normal(size=n) > 0.3).astype(np.int64)
    frame.loc[rng.random(n) < 0.01, "f4"] = np.nan  # a few holes
    return frame


def write_file(path, n_rows, seed):
    """Write ``n_rows`` rows, generated and written one piece at a time."""
    rng = np.random.default_rng(seed)
    writer = None
    for start in range(0, n_rows, CHUNK):
        table = pa.Table.from_pandas(make_rows(min(CHUNK, n_rows - start), rng),
                                     preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    writer.close()


def train(mode, path, test_path):
    """One way of training, in a process of its own so that its peak memory is its own."""
    from skrowattn import RowAttentionClassifier
    from skrowattn.streaming import partial_fit_parquet

    model = RowAttentionClassifier(hidden_layer_sizes=(64,), batch_size=256, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if mode == "stream":
            # Progress saved after every chunk: rerun after a crash and it resumes.
            partial_fit_parquet(model, path, "y", epochs=EPOCHS, chunk_rows=CHUNK,
                                checkpoint=path + ".ckpt")
        else:
            frame = pd.read_parquet(path)
            model.set_params(max_iter=EPOCHS, n_iter_no_change=EPOCHS + 1)
            model.fit(frame.drop(columns="y"), frame["y"])
            del frame
    seconds = time.perf_counter() - start
    test = pd.read_parquet(test_path)
    accuracy = model.score(test.drop(columns="y"), test["y"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{accuracy} {seconds} {peak}")


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--train":
        train(*sys.argv[2:])
        return
    with tempfile.TemporaryDirectory() as folder:
        path, test_path = os.path.join(folder, "train.parquet"), os.path.join(folder, "test.parquet")
        write_file(path, ROWS, seed=0)
        write_file(test_path, max(ROWS // 10, 1000), seed=1)
        size = os.path.getsize(path) / 2**20
        print(f"{ROWS:,} training rows x {N_FEATURES + 1} columns in {size:.0f} MB of Parquet; "
              f"{EPOCHS} epochs; chunks of {CHUNK:,} rows")
        for mode, label in (("stream", f"partial_fit over {CHUNK:,}-row chunks"),
                            ("whole", "fit on the whole table in memory")):
            out = subprocess.run([sys.executable, __file__, "--train", mode, path, test_path],
                                 capture_output=True, text=True, check=True)
            accuracy, seconds, peak = map(float, out.stdout.split()[-3:])
            print(f"{label:<40} held-out accuracy {accuracy:.4f}  {seconds:6.1f} s  "
                  f"peak memory {peak:,.0f} MB")


if __name__ == "__main__":
    main()
