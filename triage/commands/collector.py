"""The cycle collector paused while a batch of input is read and stored."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused for one batch. A batch makes some hundred thousand containers
    (decoded documents, payloads, rows) that hold no cycles and are freed by their reference
    counts; the collector's passes over them while they live took a fifth of the ingest. It
    runs again after the batch, so what cycles a batch did make are collected then."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
