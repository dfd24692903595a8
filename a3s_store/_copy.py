"""``copy_store``: every session of one store, with its side data, into another.

Built only on the :class:`~a3s_store.SessionStore` protocol, so it copies
between any two backends (a folder, SQLite, PostgreSQL, a third party's).
Each session is one ``load_snapshot`` and one ``save_snapshot`` (a session
is copied whole or not at all); a session the target already holds exactly
is left alone, so a copy run again after an interruption picks up where it
stopped, and a copy run twice writes nothing the second time.

Loop checkpoints are copied for every run of a copied session, and all of
them when the source can list them (``list_loop_checkpoints``); workflow
checkpoints only when it can list them (``list_workflow_checkpoints``):
the protocol has no other way to find them.

>>> from . import MemorySessionStore, SessionData
>>> src, dst = MemorySessionStore(), MemorySessionStore()
>>> _ = src.save(SessionData(id="a")), src.save(SessionData(id="b"))
>>> copy_store(src, dst)
CopyResult(copied=2, unchanged=0, checkpoints=0, failed={})
>>> copy_store(src, dst).unchanged, dst.list()
(2, ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ._components import COMPONENTS
from ._json import encode_compact
from .errors import A3SStoreError

if TYPE_CHECKING:
    from .snapshot import SessionSnapshot
    from .store import SessionStore

C = TypeVar("C")

__all__ = ["CopyResult", "copy_store"]


@dataclass
class CopyResult:
    """What a copy did: sessions written, sessions the target already held,
    checkpoints written, and what could not be copied: session id (or
    ``"loop checkpoint <run id>"``, ``"workflow checkpoint <id>"``) -> error."""

    copied: int = 0
    unchanged: int = 0
    checkpoints: int = 0
    failed: dict[str, A3SStoreError] = field(default_factory=dict)


def _same(a: Any, b: Any) -> bool:
    """Whether two records (or lists of them) hold the same JSON: equal values of the
    same types in the same key order (``==`` takes 1, 1.0 and True for one)."""
    if a is None or b is None:
        return a is b
    return encode_compact(_plain(a)) == encode_compact(_plain(b))


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [item.to_dict() for item in value]
    return value.to_dict()


def _snapshot_parts(snap: SessionSnapshot) -> list[Any]:
    return [getattr(snap, component.attr) for component in COMPONENTS]


def copy_store(src: SessionStore, dst: SessionStore, *,
               progress: Callable[[int, int, str], None] | None = None) -> CopyResult:
    """Copy every session of ``src`` (and its side data and checkpoints) into ``dst``.

    Sessions of ``dst`` that ``src`` does not have are left as they are.
    ``progress(done, total, session_id)`` is called after each session.
    Errors of bad data (:class:`~a3s_store.A3SStoreError`) are collected in
    :attr:`CopyResult.failed` and the copy goes on; others (a broken
    connection, a full disk) stop it, and running it again resumes.
    """
    result = CopyResult()
    ids = src.list()
    run_ids: set[str] = set()
    for done, session_id in enumerate(ids, 1):
        try:
            _copy_session(src, dst, session_id, result, run_ids)
        except A3SStoreError as exc:
            result.failed[session_id] = exc
        if progress is not None:
            progress(done, len(ids), session_id)
    lister = getattr(src, "list_loop_checkpoints", None)
    if callable(lister):
        run_ids.update(lister())
    for run_id in sorted(run_ids):
        _copy_checkpoint(src.load_loop_checkpoint, dst.load_loop_checkpoint,
                         dst.save_loop_checkpoint, run_id, result, "loop checkpoint")
    lister = getattr(src, "list_workflow_checkpoints", None)
    for workflow_id in (lister() if callable(lister) else []):
        _copy_checkpoint(src.load_workflow_checkpoint, dst.load_workflow_checkpoint,
                         dst.save_workflow_checkpoint, workflow_id, result, "workflow checkpoint")
    return result


def _copy_session(src: SessionStore, dst: SessionStore, session_id: str, result: CopyResult,
                  run_ids: set[str]) -> None:
    snap = src.load_snapshot(session_id)
    if snap is None:  # deleted since the listing
        return
    run_ids.update(record.snapshot.id for record in snap.run_records)
    held = dst.load_snapshot(session_id)
    if held is not None and all(map(_same, _snapshot_parts(snap), _snapshot_parts(held))):
        result.unchanged += 1
        return
    dst.save_snapshot(snap)
    result.copied += 1


def _copy_checkpoint(load_src: Callable[[str], C | None], load_dst: Callable[[str], C | None],
                     save_dst: Callable[[str, C], None], key: str, result: CopyResult,
                     what: str) -> None:
    try:
        checkpoint = load_src(key)
        if checkpoint is not None and not _same(checkpoint, load_dst(key)):
            save_dst(key, checkpoint)
            result.checkpoints += 1
    except A3SStoreError as exc:
        result.failed[f"{what} {key}"] = exc
