"""Running NumPy work on blocks of rows or columns in parallel threads."""

import functools
import threading
from concurrent.futures import ThreadPoolExecutor

_PARALLEL_BLOCKS = 4  # fewer blocks: not worth starting threads
_LIMITING = threading.Lock()


def map_blocks(work, blocks):
    """``[work(b) for b in blocks]``, in as many threads as BLAS would use.

    BLAS's own threads barely help products this small, and leave the
    elementwise steps (preprocessing, activations, the weights) on one core;
    blocks in parallel, each product on one BLAS thread, use every core for all
    of it: 200,000 x 32 rows through hidden (64, 32) take 0.13 s against 0.19 s
    on 2 cores. NumPy releases the GIL in both. A BLAS limited by the caller
    (``threadpoolctl``, or a joblib worker) keeps the work on that many threads.
    """
    # One call at a time sets BLAS's threads and restores them: two calls
    # overlapping from the caller's threads would restore each other's limit
    # and leave BLAS on one thread. The other calls run as they are.
    if len(blocks) >= _PARALLEL_BLOCKS and _LIMITING.acquire(blocking=False):
        try:
            blas = _blas()
            threads = max([info["num_threads"] for info in blas.info()], default=1)
            if threads >= 2:
                with blas.limit(limits=1), ThreadPoolExecutor(min(threads, len(blocks))) as pool:
                    return list(pool.map(work, blocks))
        finally:
            _LIMITING.release()
    return [work(block) for block in blocks]


def row_blocks(n, size):
    """Slices of ``n`` rows in blocks of ``size``."""
    return [slice(i, i + size) for i in range(0, n, size)]


@functools.cache
def _blas():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController().select(user_api="blas")
