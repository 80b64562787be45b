"""Ctrl-C during training: finish the current chunk of steps, then stop cleanly.

A ``KeyboardInterrupt`` raised in the middle of a fit would throw away every
epoch trained so far (skorch and Keras keep them). While ``catch_interrupt`` is
active, the first SIGINT only sets a flag that the training loop reads between
two compiled calls; the handler that was there before is put back at once, so a
second Ctrl-C raises as usual.
"""

import contextlib
import signal
import threading

__all__ = ["catch_interrupt"]

_active = None  # the guard of the outermost catch_interrupt, when it owns SIGINT


class InterruptGuard:
    """``requested`` turns True at the first SIGINT while the guard is active."""

    def __init__(self):
        self.requested = False


@contextlib.contextmanager
def catch_interrupt():
    """Context manager yielding an ``InterruptGuard``.

    Nested uses share the outer guard (``partial_fit`` inside
    ``partial_fit_parquet``), so one Ctrl-C stops both. Off the main thread,
    where Python delivers no signal, and when the program installed its own
    SIGINT handler, the guard only observes: it never sets ``requested``.
    """
    global _active
    if _active is not None:
        yield _active
        return
    guard = InterruptGuard()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield guard
        return
    previous = signal.getsignal(signal.SIGINT)

    def handler(signum, frame):
        guard.requested = True
        signal.signal(signal.SIGINT, previous)  # the second Ctrl-C raises

    signal.signal(signal.SIGINT, handler)
    _active = guard
    try:
        yield guard
    finally:
        _active = None
        if signal.getsignal(signal.SIGINT) is handler:
            signal.signal(signal.SIGINT, previous)
