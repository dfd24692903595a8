"""The JSON shape of a whole generation: a3s-code 5's ``SessionSnapshotV1`` (internal).

``SessionSnapshot.to_dict()`` / ``from_dict()`` use these two functions
(evolution.md §1.1). The envelope is an object with ``schema_version``
(exactly 1), ``session`` (the ``SessionData``), ``artifacts`` (the artifact
list), ``retained_artifact_uris``, ``trace_events``, ``run_records``,
``verification_reports`` and ``subagent_tasks``; every list may be missing
and then reads as empty. Keys this version does not know (a newer build's
``session_review``...) are kept in the snapshot's ``extra`` and written
back after the known ones.

``retained_artifact_uris`` is what the 3.x artifact manifest calls
``retained_uris`` (later builds write it there for sessions kept in the
3.x layout), so it travels in ``artifacts.extra["retained_uris"]`` and the
stores save it with the manifest. Any other unknown manifest key has no
place in an envelope: writing one is an error, never a silent loss.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import A3SStoreError, CorruptDataError, InvalidDataError, UnsupportedVersionError
from .records import (
    ArtifactStore,
    RunRecord,
    SessionData,
    SubagentTaskSnapshot,
    TraceEvent,
    VerificationReport,
    list_from_dicts,
    list_to_dicts,
)
from .records._keys import merge_extra, nest, read_error, split_extra, write_error

if TYPE_CHECKING:
    from .snapshot import SessionSnapshot

__all__ = ["SCHEMA_VERSION", "envelope_from_dict", "envelope_to_dict"]

#: The one envelope version this package reads and writes.
SCHEMA_VERSION = 1
_RETAINED = "retained_artifact_uris"
_MANIFEST_RETAINED = "retained_uris"  # the same list, in the 3.x artifact manifest
_LISTS = (("trace_events", TraceEvent), ("run_records", RunRecord),
          ("verification_reports", VerificationReport),
          ("subagent_tasks", SubagentTaskSnapshot))
_KNOWN = frozenset({"schema_version", "session", "artifacts", _RETAINED,
                    *(name for name, _ in _LISTS)})


def envelope_to_dict(snapshot: SessionSnapshot) -> dict[str, Any]:
    """The envelope of ``snapshot``; :class:`InvalidDataError` (``key`` is the
    path inside the envelope) for a value that cannot be written."""
    if not isinstance(snapshot.session, SessionData):
        raise InvalidDataError(f"expected a SessionData, got "
                               f"{type(snapshot.session).__name__}", key="session")
    try:
        session = snapshot.session.to_dict()
    except InvalidDataError as err:
        raise nest(err, "session")
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "session": session}
    out["artifacts"], out[_RETAINED] = _artifacts_to_lists(snapshot.artifacts)
    for name, _ in _LISTS:
        try:
            out[name] = list_to_dicts(getattr(snapshot, name))
        except InvalidDataError as err:
            raise nest(err, name)
    return merge_extra(out, snapshot.extra, _KNOWN)


def _artifacts_to_lists(artifacts: Any) -> tuple[list[Any], list[Any]]:
    if not isinstance(artifacts, ArtifactStore):
        raise InvalidDataError(f"expected an ArtifactStore, got {type(artifacts).__name__}",
                               key="artifacts")
    manifest = artifacts.to_dict()  # its errors already say artifacts[i].<key>
    items = manifest.pop("artifacts")
    retained = manifest.pop(_MANIFEST_RETAINED, [])
    if manifest:
        key = next(iter(manifest))
        raise InvalidDataError(f"the artifact manifest key {key!r} has no place in a "
                               "snapshot envelope", key=f"artifacts.extra.{key}")
    _check_uris(retained, write_error)
    return items, list(retained)


def _check_uris(uris: Any, error: Callable[..., A3SStoreError]) -> None:
    """Raise ``error`` (``read_error`` or ``write_error``) unless a list of strings."""
    if type(uris) is not list:
        raise error("an array of strings", uris, _RETAINED)
    for index, uri in enumerate(uris):
        if type(uri) is not str:
            raise error("a string", uri, f"{_RETAINED}[{index}]")


def envelope_from_dict(cls: type[SessionSnapshot], data: Any) -> SessionSnapshot:
    """Read an envelope.

    :raises UnsupportedVersionError: ``schema_version`` above 1.
    :raises CorruptDataError: anything else that is not an envelope of
        version 1 (``key`` is the path of the bad value).
    """
    if type(data) is not dict:
        raise read_error("an object", data)
    _check_version(data)
    if "session" not in data:
        raise CorruptDataError("missing required key", key="session")
    try:
        session = SessionData.from_dict(data["session"])
    except CorruptDataError as err:
        raise nest(err, "session")
    retained = data.get(_RETAINED, [])
    _check_uris(retained, read_error)
    manifest: dict[str, Any] = {"artifacts": data.get("artifacts", [])}
    if retained:
        manifest[_MANIFEST_RETAINED] = list(retained)
    snapshot = cls(session=session, artifacts=ArtifactStore.from_dict(manifest),
                   extra=split_extra(data, _KNOWN))
    for name, record_type in _LISTS:
        try:
            setattr(snapshot, name, list_from_dicts(record_type, data.get(name, [])))
        except CorruptDataError as err:
            raise nest(err, name)
    return snapshot


def _check_version(data: dict[str, Any]) -> None:
    if "schema_version" not in data:
        raise CorruptDataError("missing required key", key="schema_version")
    version = data["schema_version"]
    if type(version) is not int:
        raise read_error("an integer", version, "schema_version")
    if version > SCHEMA_VERSION:
        raise UnsupportedVersionError(
            f"snapshot schema version {version} is newer than the supported version "
            f"{SCHEMA_VERSION}", key="schema_version")
    if version != SCHEMA_VERSION:
        raise CorruptDataError(f"snapshot schema version {version} is not loadable "
                               f"(expected {SCHEMA_VERSION})", key="schema_version")
