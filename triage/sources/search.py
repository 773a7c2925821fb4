"""Elasticsearch and OpenSearch as alert sources, behind one small backend interface.

Each backend wraps the official client of its product (``elasticsearch`` or ``opensearch-py``)
and speaks only what polling needs: open a point in time, page through it with
``search_after``, close it, and (for Elastic Security) set an alert's workflow status.
Client errors are turned into two kinds: ``SourceUnavailable`` (worth retrying: the server is
down, restarting, overloaded or slow) and ``SourceError`` (a fault a retry will not fix: bad
credentials, a missing index, a query the server refuses).
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from triage.errors import ConfigError, SourceError, SourceUnavailable
from triage.sources.client_json import elastic_serializer, opensearch_serializer
from triage.sources.jsontext import last_plain

KEEP_ALIVE = "2m"
NO_INDEX = ""  # the point in time of a pattern that matches no index yet: nothing to read


class Credentials(BaseModel):
    """Secrets read at start-up from the environment or a credentials file, never stored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None

    def __repr__(self) -> str:  # never print a secret, even in a traceback
        kinds = [k for k in ("api_key", "username", "bearer_token") if getattr(self, k)]
        return f"Credentials({', '.join(kinds) or 'none'})"

    __str__ = __repr__


class SearchSourceConfig(BaseModel):
    """One ``[[sources]]`` table of the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: Literal["elasticsearch", "opensearch"]
    urls: list[str] = Field(min_length=1)
    index: str = Field(min_length=1, description="index name or pattern, comma-separated allowed")
    query: dict[str, Any] | None = Field(default=None, description="a query DSL filter, as a table")
    profile: str = "auto"
    timestamp_field: str = "@timestamp"
    interval: float = Field(default=30.0, gt=0, description="seconds between passes")
    lookback: float = Field(default=300.0, ge=0, description="seconds re-read behind the cursor")
    page_size: int = Field(default=1000, ge=1, le=10000)
    timeout: float = Field(default=30.0, gt=0)
    api_key_env: str | None = None
    username: str | None = None
    password_env: str | None = None
    bearer_token_env: str | None = None
    credentials_file: Path | None = None
    verify_certs: bool = True
    ca_certs: Path | None = None
    writeback: bool = False

    @field_validator("urls")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for url in v:
            if not url.startswith(("http://", "https://")):
                raise ValueError(f"{url!r} is not an http:// or https:// URL")
        return v

    @model_validator(mode="after")
    def _auth(self) -> SearchSourceConfig:
        if self.password_env and not self.username:
            raise ValueError("password_env needs username")
        if self.writeback and self.kind != "elasticsearch":
            raise ValueError("writeback is only for Elastic Security alert indices (kind elasticsearch)")
        return self

    def credentials(self) -> Credentials:
        """Resolve secrets: environment variables first, then the credentials file."""
        values: dict[str, str] = {}
        if self.credentials_file is not None:
            values.update(_read_credentials_file(self.credentials_file, self.name))
        for env, key in (
            (self.api_key_env, "api_key"),
            (self.password_env, "password"),
            (self.bearer_token_env, "bearer_token"),
        ):
            if env:
                value = os.environ.get(env)
                if not value:
                    raise ConfigError(f"source {self.name}: environment variable {env} is not set")
                values[key] = value
        if self.username:
            values.setdefault("username", self.username)
        if "password" in values and "username" not in values:
            raise ConfigError(f"source {self.name}: a password needs a username")
        return Credentials(**values)


def _read_credentials_file(path: Path, name: str) -> dict[str, str]:
    try:
        text = path.expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the credentials of source {name}: {exc.strerror}") from None
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML or JSON: {exc}") from None
    allowed = {"api_key", "username", "password", "bearer_token"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(f"{path}: unknown keys {', '.join(unknown)} (use {', '.join(sorted(allowed))})")
    out = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {key} must be a string")
        out[key] = value
    return out


@dataclass(frozen=True, slots=True)
class Page:
    hits: list[dict[str, Any]]
    pit_id: str
    plain: bool = False  # every float in it is plain (``jsontext.decode``): fast to encode


class Backend(Protocol):
    """What the poller needs from a search server."""

    def open_pit(self, index: str) -> str: ...

    def page(
        self,
        pit_id: str,
        *,
        query: dict[str, Any],
        sort: list[dict[str, Any]],
        search_after: list[Any] | None,
        size: int,
    ) -> Page: ...

    def close_pit(self, pit_id: str) -> None: ...

    def field_types(self, index: str, field: str) -> dict[str, str]: ...

    def set_workflow_status(self, index: str, doc_id: str, status: str) -> None: ...

    def close(self) -> None: ...


def _status_of(exc: BaseException) -> int | None:
    for attr in ("status_code", "status"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    meta = getattr(exc, "meta", None)
    status = getattr(meta, "status", None)
    return status if isinstance(status, int) else None


def _reason(exc: BaseException) -> str:
    body = getattr(exc, "body", None) or getattr(exc, "info", None)
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            root = (err.get("root_cause") or [err])[0]
            return str(root.get("reason") or root.get("type") or err.get("type"))
        if err:
            return str(err)
    return str(getattr(exc, "message", None) or exc.__class__.__name__)


def classify(name: str, exc: BaseException, doing: str) -> SourceError:
    """Turn a client exception into ``SourceUnavailable`` (retry) or ``SourceError`` (stop)."""
    status = _status_of(exc)
    reason = _reason(exc)
    if status is None or status == 429 or status >= 500 or status == 408:
        what = f"HTTP {status}" if status else exc.__class__.__name__
        return SourceUnavailable(f"source {name}: {doing}: {what}: {reason}", status=status)
    if status == 401:
        return SourceError(
            f"source {name}: {doing}: authentication failed (HTTP 401): check the credentials", status=status
        )
    if status == 403:
        return SourceError(f"source {name}: {doing}: not allowed (HTTP 403): {reason}", status=status)
    if status == 404:
        if "search_context_missing" in repr(getattr(exc, "body", "")) or "No search context" in reason:
            return SourceUnavailable(
                f"source {name}: {doing}: the point in time expired: {reason}", status=status
            )
        return SourceError(f"source {name}: {doing}: not found (HTTP 404): {reason}", status=status)
    return SourceError(f"source {name}: {doing}: refused (HTTP {status}): {reason}", status=status)


class _Paging:
    """The page request both products share; each backend sends it its own way."""

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def page(
        self,
        pit_id: str,
        *,
        query: dict[str, Any],
        sort: list[dict[str, Any]],
        search_after: list[Any] | None,
        size: int,
    ) -> Page:
        body: dict[str, Any] = {
            "pit": {"id": pit_id, "keep_alive": KEEP_ALIVE},
            "query": query,
            "sort": sort,
            "size": size,
            "track_total_hits": False,
        }
        if search_after is not None:
            body["search_after"] = search_after
        if pit_id == NO_INDEX:
            return Page([], pit_id)
        resp = self._search(body)
        plain = last_plain()  # of the answer just decoded, in this thread (``client_json``)
        return Page(list(resp["hits"]["hits"]), str(resp.get("pit_id") or pit_id), plain)


def _field_types(resp: Any, field: str) -> dict[str, str]:
    """Index name -> the mapped type of ``field`` there, from a field-mapping answer (indices
    that do not map the field are left out)."""
    out: dict[str, str] = {}
    for index, entry in dict(resp).items():
        mapping = ((entry or {}).get("mappings") or {}).get(field) or {}
        for leaf in (mapping.get("mapping") or {}).values():
            if isinstance(leaf, dict) and isinstance(leaf.get("type"), str):
                out[str(index)] = leaf["type"]
    return out


class ElasticBackend(_Paging):
    def __init__(self, cfg: SearchSourceConfig) -> None:
        from elasticsearch import Elasticsearch

        creds = cfg.credentials()
        kwargs: dict[str, Any] = {
            "request_timeout": cfg.timeout,
            "max_retries": 0,
            "retry_on_timeout": False,
            "verify_certs": cfg.verify_certs,
        }
        if cfg.ca_certs is not None:
            kwargs["ca_certs"] = str(cfg.ca_certs.expanduser())
        if creds.api_key:
            kwargs["api_key"] = creds.api_key
        elif creds.bearer_token:
            kwargs["bearer_auth"] = creds.bearer_token
        elif creds.username:
            kwargs["basic_auth"] = (creds.username, creds.password or "")
        self.name = cfg.name
        self.client = Elasticsearch(cfg.urls, serializer=elastic_serializer(), **kwargs)

    def _call(self, doing: str, fn: Any, **kwargs: Any) -> Any:
        from elasticsearch import ApiError, TransportError

        try:
            return fn(**kwargs)
        except (ApiError, TransportError) as exc:
            raise classify(self.name, exc, doing) from None

    def open_pit(self, index: str) -> str:
        resp = self._call(
            f"open a point in time on {index}",
            self.client.open_point_in_time,
            index=index,
            keep_alive=KEEP_ALIVE,
            ignore_unavailable=False,
        )
        return str(resp["id"])

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("search", self.client.search, **body))

    def close_pit(self, pit_id: str) -> None:
        self._call("close the point in time", self.client.close_point_in_time, id=pit_id)

    def field_types(self, index: str, field: str) -> dict[str, str]:
        resp = self._call(
            f"read the mapping of {field} in {index}",
            self.client.indices.get_field_mapping,
            index=index,
            fields=field,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        return _field_types(resp, field)

    def set_workflow_status(self, index: str, doc_id: str, status: str) -> None:
        self._call(
            f"set the workflow status of {index}/{doc_id}",
            self.client.update,
            index=index,
            id=doc_id,
            doc={"kibana.alert.workflow_status": status},
            refresh=False,
        )

    def close(self) -> None:
        self.client.close()


class OpenSearchBackend(_Paging):
    def __init__(self, cfg: SearchSourceConfig) -> None:
        from opensearchpy import OpenSearch

        creds = cfg.credentials()
        kwargs: dict[str, Any] = {
            "timeout": cfg.timeout,
            "max_retries": 0,
            "retry_on_timeout": False,
            "verify_certs": cfg.verify_certs,
            "ssl_show_warn": cfg.verify_certs,
        }
        if cfg.ca_certs is not None:
            kwargs["ca_certs"] = str(cfg.ca_certs.expanduser())
        headers: dict[str, str] = {}
        if creds.api_key:
            headers["Authorization"] = f"ApiKey {creds.api_key}"
        elif creds.bearer_token:
            headers["Authorization"] = f"Bearer {creds.bearer_token}"
        elif creds.username:
            kwargs["http_auth"] = (creds.username, creds.password or "")
        if headers:
            kwargs["headers"] = headers
        self.name = cfg.name
        self.client = OpenSearch(cfg.urls, serializer=opensearch_serializer(), **kwargs)

    def _call(self, doing: str, fn: Any, **kwargs: Any) -> Any:
        from opensearchpy.exceptions import OpenSearchException

        try:
            return fn(**kwargs)
        except OpenSearchException as exc:
            raise classify(self.name, exc, doing) from None

    def open_pit(self, index: str) -> str:
        try:
            resp = self._call(
                f"open a point in time on {index}",
                self.client.create_pit,
                index=index,
                params={"keep_alive": KEEP_ALIVE},
            )
        except SourceError as exc:
            # OpenSearch answers a pattern that matches no index yet with this 400.
            if "*" in index and "invalid id: [null]" in str(exc):
                return NO_INDEX
            raise
        return str(resp["pit_id"])

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("search", self.client.search, body=body))

    def close_pit(self, pit_id: str) -> None:
        if pit_id != NO_INDEX:
            self._call("close the point in time", self.client.delete_pit, body={"pit_id": [pit_id]})

    def field_types(self, index: str, field: str) -> dict[str, str]:
        resp = self._call(
            f"read the mapping of {field} in {index}",
            self.client.indices.get_field_mapping,
            index=index,
            fields=field,
            params={"ignore_unavailable": "true", "allow_no_indices": "true"},
        )
        return _field_types(resp, field)

    def set_workflow_status(self, index: str, doc_id: str, status: str) -> None:
        raise SourceError(f"source {self.name}: write-back is only for Elastic Security alert indices")

    def close(self) -> None:
        self.client.close()


def backend_for(cfg: SearchSourceConfig) -> Backend:
    if cfg.kind == "elasticsearch":
        return ElasticBackend(cfg)
    return OpenSearchBackend(cfg)
