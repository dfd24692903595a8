"""What the helper notes about a run, in the unknown-key ``extra`` of its records (internal).

The 3.4 format has no place for a run's owner process, the run it continues
or the workflow it belongs to, but every record keeps keys it does not know
and writes them back (a3s-code ignores them). The helper keeps its notes
under one key, ``"a3s_store"``, of a ``RunSnapshot`` or ``LoopCheckpoint``:

* ``owner``: the process running it (``_run_owner.RunOwner.to_dict``);
* ``resumed_from``: the run it continues; ``resumed_as``: the run that
  continues it (set when it is closed as interrupted);
* ``workflow_id``: the workflow checkpoint its steps are saved in;
* ``release``: ``{"loop": [run ids], "workflow": [workflow ids]}``, the
  checkpoints that a generation holding this record no longer needs. They
  are deleted after such a generation is saved, and the note is dropped
  then; a process that dies in between leaves the note in the store, and the
  next process that saves the session deletes them.

A value of the wrong type reads as absent: notes are hints, never a reason
to refuse a session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["KEY", "add_releases", "note", "notes", "releases", "set_releases", "write_notes"]

KEY = "a3s_store"


def notes(record: Any) -> dict[str, Any]:
    """The helper's notes of a run snapshot or loop checkpoint (a copy; {} when none)."""
    value = record.extra.get(KEY)
    return dict(value) if type(value) is dict else {}


def note(record: Any, name: str) -> str | None:
    """One string note (``resumed_from``, ``resumed_as``, ``workflow_id``), or None."""
    value = notes(record).get(name)
    return value if type(value) is str else None


def write_notes(record: Any, **values: Any) -> None:
    """Set notes on a record (a None value is left out)."""
    merged = notes(record)
    merged.update({name: value for name, value in values.items() if value is not None})
    if merged:
        record.extra[KEY] = merged


def releases(record: Any) -> tuple[list[str], list[str]]:
    """The loop and workflow checkpoints a record no longer needs."""
    value = notes(record).get("release")
    if type(value) is not dict:
        return [], []
    return _strings(value.get("loop")), _strings(value.get("workflow"))


def _strings(value: Any) -> list[str]:
    return [k for k in value if type(k) is str] if type(value) is list else []


def set_releases(record: Any, loop: list[str], workflow: list[str]) -> None:
    """Replace the release note (dropped when both lists are empty)."""
    merged = notes(record)
    merged.pop("release", None)
    if loop or workflow:
        merged["release"] = {"loop": list(dict.fromkeys(loop)),
                             "workflow": list(dict.fromkeys(workflow))}
    if merged:
        record.extra[KEY] = merged
    else:
        record.extra.pop(KEY, None)


def add_releases(record: Any, *, loop: Iterable[str] = (), workflow: Iterable[str] = ()) -> None:
    """Note more checkpoints that a generation holding ``record`` no longer needs."""
    loops, workflows = releases(record)
    set_releases(record, [*loops, *loop], [*workflows, *workflow])
