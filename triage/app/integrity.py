"""Anchoring and verifying a workspace, with the keys and anchor files the settings name.

The store knows how to sign a checkpoint (``triage.store.anchor``) and how to recompute the
chain (``triage.store.verify``); this module finds what they need (the signing key, the
trusted public key, the anchor files: option, environment, config file, default, in that
order) and runs them, so a shell only parses its options, calls one function and prints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage.config import Settings, anchor_file_path, signing_key_path
from triage.errors import ConfigError, SigningError
from triage.store import anchor as anchoring
from triage.store.verdict import VerifyReport
from triage.store.verify import verify_workspace
from triage.store.workspace import Workspace


@dataclass(frozen=True)
class Anchored:
    """A checkpoint signed and appended to ``anchor_file``."""

    record: dict[str, Any]
    anchor_file: Path


def signing_key(settings: Settings, key_path: str | None = None) -> Ed25519PrivateKey:
    """The private key that signs checkpoints and packs (default: the configured one)."""
    return anchoring.load_private_key(signing_key_path(key_path, settings))


def default_anchor_file(settings: Settings, db_path: str | Path) -> Path:
    """The anchor file of the workspace at ``db_path``: the configured one, else beside it."""
    return anchor_file_path(None, settings, db_path)


def trusted_key(settings: Settings, public_key: Path | None = None) -> bytes | None:
    """The public key checkpoints are checked against: the one given, the configured
    ``public_key``, else the ``.pub`` beside the signing key (or the signing key itself);
    ``None`` when there is none."""
    if public_key:
        return anchoring.load_public_key(public_key)
    if settings.public_key:
        return anchoring.load_public_key(settings.public_key)
    private = signing_key_path(None, settings)
    for candidate in (anchoring.public_path(private), private):
        if candidate.exists():
            return anchoring.load_public_key(candidate)
    return None


def verify(
    ws: Workspace,
    settings: Settings,
    db_path: str | Path,
    *,
    anchor_files: Sequence[Path] = (),
    public_key: Path | None = None,
) -> VerifyReport:
    """Recompute the chain and check it against the checkpoints in ``anchor_files`` (default:
    the configured anchor file, if it exists) with the trusted key."""
    files = list(anchor_files)
    if not files:
        default = default_anchor_file(settings, db_path)
        if default.exists():
            files = [default]
    return verify_workspace(ws.conn, ws.id, anchor_files=files, public_key=trusted_key(settings, public_key))


def keygen(settings: Settings, key_path: str | None = None) -> tuple[Path, Path]:
    """Create the signing key (default: the configured one); returns its and its public key's paths."""
    path = signing_key_path(key_path, settings)
    return path, anchoring.generate_key(path)


def anchor(
    open_workspace: Callable[[], Workspace],
    settings: Settings,
    db_path: str | Path,
    *,
    key_path: str | None = None,
    anchor_file: str | None = None,
) -> Anchored:
    """Sign the chain head with the signing key and append the checkpoint to the anchor file
    (defaults: the configured ones); the anchor file cannot be the workspace itself. The
    workspace is opened once the key is loaded and the anchor file checked, so their problems
    are reported first."""
    key = signing_key(settings, key_path)
    target = anchor_file_path(anchor_file, settings, db_path)
    try:
        if not isinstance(db_path, str) and target.resolve() == db_path.resolve():
            raise SigningError("the anchor file cannot be the workspace itself")
    except OSError as exc:
        raise ConfigError(f"{target}: {exc}") from None
    ws = open_workspace()
    with ws.write():
        record = anchoring.anchor(ws.conn, ws.id, key, target)
    return Anchored(record, target)
