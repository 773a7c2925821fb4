"""Where replayed alerts go: the exercise workspace, or a search index the poller reads."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Literal

from triage.commands import Commands
from triage.sources.search import ElasticBackend, OpenSearchBackend, SearchSourceConfig, backend_for
from triage.tabletop.replay import Delivery
from triage.tabletop.scenario import ScenarioAlert

PROFILE_PLACEHOLDER = "{profile}"


class WorkspaceSink:
    """Ingests replayed alerts through the command layer, as a file ingest would."""

    def __init__(self, commands: Commands, *, source: str | None = None) -> None:
        self.commands = commands
        self.source = source

    def deliver(self, alerts: Sequence[ScenarioAlert]) -> Delivery:
        result = self.commands.ingest_records([a.record for a in alerts], source=self.source)
        return Delivery(
            delivered=result.ingested,
            duplicates=result.present,
            failed=result.quarantined,
            alert_ids=tuple(result.alert_ids),
            problems=tuple(result.problems),
        )


def document_id(alert: ScenarioAlert) -> str:
    """The recorded document's id when it has one, else a digest of its content: replaying
    the same scenario twice into one index writes each document once."""
    if alert.record.doc_id:
        return alert.record.doc_id
    if alert.alert.doc_id:
        return alert.alert.doc_id
    text = alert.record.text or repr(alert.record.raw)
    return "tt-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class IndexSink:
    """Writes each replayed alert's document into an Elasticsearch or OpenSearch index with
    the official client's bulk helper, refreshed so a poll sees it at once.

    ``index`` may contain ``{profile}`` (``tt-drill-{profile}``): each format then gets its own
    index, which keeps formats whose fields clash (Suricata's ``host`` is text, ECS's an
    object) apart. A document already there (same id) counts as a duplicate."""

    def __init__(
        self,
        kind: Literal["elasticsearch", "opensearch"],
        url: str,
        index: str,
        *,
        timeout: float = 30.0,
    ) -> None:
        self.index = index
        self.cfg = SearchSourceConfig(name="tabletop", kind=kind, urls=[url], index=index, timeout=timeout)
        self.backend = backend_for(self.cfg)

    def index_for(self, alert: ScenarioAlert) -> str:
        return self.index.replace(PROFILE_PLACEHOLDER, alert.alert.profile)

    def deliver(self, alerts: Sequence[ScenarioAlert]) -> Delivery:
        actions = [
            {
                "_op_type": "create",
                "_index": self.index_for(a),
                "_id": document_id(a),
                "_source": a.record.doc,
            }
            for a in alerts
        ]
        backend = self.backend
        if isinstance(backend, ElasticBackend):
            from elasticsearch import helpers as es_helpers

            bulk: Any = es_helpers.bulk
        else:
            assert isinstance(backend, OpenSearchBackend)
            from opensearchpy import helpers as os_helpers

            bulk = os_helpers.bulk
        ok, errors = backend._call(
            f"index {len(actions)} replayed alerts",
            bulk,
            client=backend.client,
            actions=actions,
            raise_on_error=False,
            refresh="true",
        )
        duplicates, problems = 0, []
        for item in errors:
            info = next(iter(item.values()))
            if info.get("status") == 409:
                duplicates += 1
                continue
            err = info.get("error") or {}
            reason = err.get("reason") if isinstance(err, dict) else err
            hint = (
                f"; write each format to its own index with {PROFILE_PLACEHOLDER} in the index name"
                if PROFILE_PLACEHOLDER not in self.index and "mapper" in str(err)
                else ""
            )
            problems.append(f"{info.get('_index')}/{info.get('_id')}: {reason}{hint}")
        return Delivery(
            delivered=int(ok), duplicates=duplicates, failed=len(problems), problems=tuple(problems)
        )

    def close(self) -> None:
        self.backend.close()
