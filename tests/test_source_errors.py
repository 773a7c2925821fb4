"""Search-server errors keep the HTTP status they came with, so callers decide on it, not on text."""

from __future__ import annotations

import pytest

from triage.errors import SourceError, SourceUnavailable
from triage.sources.search import classify


class _Answer(Exception):
    def __init__(self, status: int | None) -> None:
        super().__init__("answer")
        self.status_code = status


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, SourceError),
        (403, SourceError),
        (404, SourceError),
        (400, SourceError),
        (503, SourceUnavailable),
    ],
)
def test_classify_keeps_the_status(status: int, kind: type[SourceError]) -> None:
    err = classify("siem", _Answer(status), "read the mapping")
    assert type(err) is kind and err.status == status
    assert str(err).startswith("source siem: read the mapping:")


def test_an_error_without_an_answer_has_no_status() -> None:
    err = classify("siem", _Answer(None), "search")
    assert isinstance(err, SourceUnavailable) and err.status is None
