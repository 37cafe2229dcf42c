"""Signed checkpoints written outside the database, where a database administrator cannot reach them.

The deployment points MASAR_AUDIT_CHECKPOINT_DIR at storage the database's administrators cannot
rewrite (another machine's mount, write-once storage, a directory made append-only with
``chattr +a``). Each checkpoint is one small JSON file created exclusively and never rewritten: a
copy of the database's checkpoint row, so that cutting the log's tail together with its
checkpoints, or rebuilding the chain after a signed point, still shows against these files.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

SUFFIX = ".json"


class ExternalCheckpointError(RuntimeError):
    """The checkpoint directory is unusable: signing must not go on without its external copy."""


@dataclass(frozen=True)
class ExternalCheckpoint:
    event_id: int
    event_hash: str
    signed_at: datetime
    key_fingerprint: str
    signature: bytes
    name: str

    def as_json(self) -> str:
        return json.dumps({
            "version": 1, "event_id": self.event_id, "event_hash": self.event_hash,
            "signed_at": self.signed_at.isoformat(), "key_fingerprint": self.key_fingerprint,
            "signature": base64.b64encode(self.signature).decode(),
        }, sort_keys=True) + "\n"


def directory() -> Path | None:
    configured = current_app.config.get("AUDIT_CHECKPOINT_DIR")
    return Path(configured) if configured else None


def file_name(event_id: int, key_fingerprint: str) -> str:
    # Zero-padded, so that a listing sorts in chain order.
    return f"checkpoint-{event_id:015d}-{key_fingerprint[:16]}{SUFFIX}"


def write(checkpoint: ExternalCheckpoint) -> Path | None:
    """Create the checkpoint's file (never overwriting one); None when no directory is configured."""
    folder = directory()
    if folder is None:
        return None
    path = folder / checkpoint.name
    data = checkpoint.as_json().encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    except FileExistsError:
        if _holds_the_same_signature(path, checkpoint):
            return path  # another signer got there first (the web page and the scheduler at once)
        raise ExternalCheckpointError(f"{path} already exists and holds something else") from None
    except OSError as exc:
        raise ExternalCheckpointError(f"cannot write to {folder}: {exc.strerror}") from exc
    try:
        os.write(descriptor, data)
        os.fsync(descriptor)  # on disk before the database row commits
    finally:
        os.close(descriptor)
    return path


def _holds_the_same_signature(path: Path, checkpoint: ExternalCheckpoint) -> bool:
    # Ed25519 signatures are deterministic: the same head signed twice differs only in its time.
    try:
        data = json.loads(path.read_text())
        return (data["event_id"], data["event_hash"], data["signature"]) == (
            checkpoint.event_id, checkpoint.event_hash, base64.b64encode(checkpoint.signature).decode())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def read_all() -> tuple[list[ExternalCheckpoint], list[str]]:
    """(the checkpoints in chain order, names of files that cannot be read as one)."""
    folder = directory()
    if folder is None or not folder.is_dir():
        return [], []
    checkpoints, unreadable = [], []
    for path in sorted(folder.glob(f"checkpoint-*{SUFFIX}")):
        try:
            data = json.loads(path.read_text())
            checkpoints.append(ExternalCheckpoint(
                event_id=int(data["event_id"]), event_hash=str(data["event_hash"]),
                signed_at=datetime.fromisoformat(data["signed_at"]), key_fingerprint=str(data["key_fingerprint"]),
                signature=base64.b64decode(data["signature"], validate=True), name=path.name,
            ))
        except (OSError, ValueError, KeyError, TypeError):
            unreadable.append(path.name)
    checkpoints.sort(key=lambda checkpoint: checkpoint.event_id)
    return checkpoints, unreadable
