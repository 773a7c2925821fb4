"""The cycle collector paused while a batch of input is read and stored, and while a write
transaction is open."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused for one batch. A batch makes some hundred thousand containers
    (decoded documents, payloads, rows, prepared events) that hold no cycles and are freed by
    their reference counts; the collector's passes over them while they live took a fifth of
    the ingest, and as much of a batched append. It runs again after the batch, so what cycles
    a batch did make are collected then. The collector is the process's: paused already (by
    another batch, in another thread), it is left to whoever paused it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
