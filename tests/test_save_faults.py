"""The helper after a transient error (issue 12): a save whose outcome is unknown.

An error at any filesystem call of a helper save: before the store's point
of no return nothing is published; after it (an fsync after the renames)
the store finishes the save and still raises. Either way the helper must
go on saving (never a ConflictError for ever), count recorded usage exactly
once, and not hide a failed auto-save.
"""

from __future__ import annotations

import errno
import logging

import pytest

import factories as f
from a3s_store import (
    AgentConfig,
    AgentSession,
    ConflictError,
    FileSessionStore,
    MemorySessionStore,
    PermissionPolicy,
    TokenUsage,
    resume_session,
)
from factories import msg, texts
from faults import Fault, count_calls, hooked

USAGE = TokenUsage(prompt_tokens=10, completion_tokens=2, total_tokens=12)


def live_session(root) -> AgentSession:
    """A saved session with every component, a policy, and usage pending."""
    config = AgentConfig(permission_policy=PermissionPolicy.from_dict({"allow": ["Bash(*)"]}),
                         auto_compact_threshold=0.3, tool_names=["bash"])
    session = AgentSession(session_id="faulty", model="openai/gpt-4o", config=config,
                           auto_save=True, store=FileSessionStore(root))
    session.artifacts = f.artifact_store("out")
    session.trace_events.append(f.trace_event())
    session.verification_reports.append(f.verification_report())
    session.subagent_tasks.append(f.subagent_task("faulty"))
    session.history.append(msg("user", "turn 0"))
    session.record_usage(USAGE, cost=0.1)
    assert session.save() is not None
    session.history.append(msg("assistant", "turn 1"))
    session.record_usage(USAGE, cost=0.1)
    # A side file changes too, so the next save is a journal transaction (side
    # files that hold their bytes already are not written again).
    session.trace_events.append(f.trace_event())
    return session


def _calls_of_a_helper_save(tmp_path) -> list[str]:
    session = live_session(tmp_path / "count")
    return count_calls(session.save)


def _check_goes_on(session: AgentSession, root, saves_expected: int) -> None:
    """After the fault: the next auto-save works and the store holds everything once."""
    session.history.append(msg("user", "turn 2"))
    assert session.auto_save_if_enabled() is True, session.auto_save_error
    assert session.auto_save_error is None
    stored = FileSessionStore(root).load("faulty")
    assert stored.messages == session.history
    assert stored.total_usage.total_tokens == 12 * saves_expected
    assert stored.total_cost == pytest.approx(0.1 * saves_expected)


@pytest.mark.parametrize("mode", ["transient", "persistent"])
def test_an_error_at_every_call_of_an_auto_save_never_stops_later_saves(tmp_path, mode):
    n = len(_calls_of_a_helper_save(tmp_path))
    assert n > 50  # the sweep reaches past the store's renames
    published_anyway = 0
    for k in range(1, n + 1):
        root = tmp_path / f"{mode}-{k}"
        session = live_session(root)
        before = FileSessionStore(root).load_snapshot("faulty").revision
        fault = Fault(k, mode)
        with hooked(fault):
            saved = session.auto_save_if_enabled()
        assert fault.fired, k
        if not saved:
            assert isinstance(session.auto_save_error, OSError), k
            after = FileSessionStore(root).load_snapshot("faulty")
            published_anyway += after.revision != before
        _check_goes_on(session, root, saves_expected=2)
    # The sweep hit the case of the issue: saves published and still raising.
    assert published_anyway >= 5, published_anyway


def _listing_log_calls(tmp_path, monkeypatch) -> set[int]:
    """The positions (from 1) of the calls a helper save makes to tell later
    listings what it changed (``_changes.record``): a cache, whose failures
    the save swallows on purpose (the next listing scans instead)."""
    from a3s_store import _changes
    from faults import CallCounter

    counter = CallCounter()
    inside: set[int] = set()
    record = _changes.record

    def noted(*args, **kwargs):
        start = len(counter.calls)
        record(*args, **kwargs)
        inside.update(range(start + 1, len(counter.calls) + 1))

    monkeypatch.setattr(_changes, "record", noted)
    session = live_session(tmp_path / "count-log")
    with hooked(counter):
        session.save()
    monkeypatch.setattr(_changes, "record", record)
    return inside


def test_an_explicit_save_raises_the_error_and_the_next_one_goes_on(tmp_path, monkeypatch):
    # The calls from the first rename on (where a save is published and may
    # still raise), and the first call; the auto-save sweeps cover them all.
    calls = _calls_of_a_helper_save(tmp_path)
    first_rename = calls.index("replace") + 1
    cache_only = _listing_log_calls(tmp_path, monkeypatch)
    assert cache_only  # the sweep below leaves them out for a reason that holds
    ks = [1, *(k for k in range(first_rename, len(calls) + 1) if k not in cache_only)]
    raised = 0
    for k in ks:
        root = tmp_path / str(k)
        session = live_session(root)
        with hooked(Fault(k, "transient")):
            try:
                session.save()
            except OSError as exc:
                assert exc.errno == errno.EIO
                raised += 1
        session.history.append(msg("user", "turn 2"))
        session.save()  # no ConflictError
        stored = FileSessionStore(root).load("faulty")
        assert stored.messages == session.history, k
        assert stored.total_usage.total_tokens == 24, k
    assert raised == len(ks)


class FailsOnce:
    """A custom backend whose next save fails (after publishing the generation,
    or not), and which then cannot be read until ``readable`` (what an EIO
    storm looks like to the helper)."""

    def __init__(self, error: BaseException):
        self.inner = MemorySessionStore()
        self.error = error
        self.fail_next = False
        self.publish = True
        self.readable = True

    def save_snapshot(self, snapshot, **kwargs):
        if not self.fail_next:
            return self.inner.save_snapshot(snapshot, **kwargs)
        self.fail_next = False
        if self.publish:
            self.inner.save_snapshot(snapshot, **kwargs)
        self.readable = False
        raise self.error

    def load_snapshot(self, session_id):
        if not self.readable:
            raise OSError(errno.EIO, "still failing")
        return self.inner.load_snapshot(session_id)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize("error", [OSError(errno.EIO, "fsync failed"), KeyboardInterrupt()])
def test_an_outcome_that_cannot_be_told_yet_is_settled_by_the_next_save(error):
    store = FailsOnce(error)
    session = AgentSession(session_id="s", store=store)
    session.record_usage(USAGE)
    session.save()
    store.fail_next = True
    session.history.append(msg("user", "published"))
    session.record_usage(USAGE)
    with pytest.raises(type(error)):
        session.save()
    with pytest.raises(OSError, match="still failing"):
        session.save()  # cannot tell yet: no blind save that would conflict
    store.readable = True
    session.history.append(msg("user", "after"))
    session.save()
    stored = store.inner.load("s")
    assert [m.content[0].text for m in stored.messages] == ["published", "after"]
    assert stored.total_usage.total_tokens == 24  # the published save's usage, once


def test_a_save_that_failed_before_publishing_counts_its_usage_in_the_next(tmp_path):
    session = live_session(tmp_path / "s")
    with hooked(Fault(1, "transient")), pytest.raises(OSError):
        session.save()
    session.record_usage(USAGE, cost=0.1)
    session.save()
    stored = FileSessionStore(tmp_path / "s").load("faulty")
    assert stored.total_usage.total_tokens == 36 and stored.total_cost == pytest.approx(0.3)


def test_a_conflict_keeps_the_recorded_usage_for_the_save_that_takes_over():
    store = MemorySessionStore()
    AgentSession(session_id="s", store=store).save()
    session = resume_session(store, "s")
    resume_session(store, "s").save()  # another writer
    session.record_usage(USAGE)
    with pytest.raises(ConflictError):
        session.save()
    session.save(overwrite=True)
    assert store.load("s").total_usage.total_tokens == 12


def test_a_failed_auto_save_is_exposed_until_a_save_succeeds(caplog):
    store = MemorySessionStore()
    store.save(f.session("taken"))
    session = AgentSession(session_id="taken", auto_save=True, store=store)
    with caplog.at_level(logging.WARNING, logger="a3s_store.persistence"):
        assert session.auto_save_if_enabled() is False
        assert session.auto_save_if_enabled() is False
    assert isinstance(session.auto_save_error, ConflictError)
    assert caplog.text.count("auto-save of session 'taken' failed") == 2
    with pytest.raises(ConflictError):
        session.save()  # an explicit save says so
    session.save(overwrite=True)
    assert session.auto_save_error is None


@pytest.mark.parametrize("published", [False, True])
def test_until_the_next_save_a_snapshot_counts_what_the_failed_save_counted(published):
    store = FailsOnce(OSError(errno.EIO, "fsync failed"))
    session = AgentSession(session_id="s", store=store)
    session.save()
    session.record_usage(USAGE)
    store.fail_next, store.publish = True, published
    with pytest.raises(OSError):
        session.save()
    store.readable = True
    session.record_usage(USAGE)
    assert session.persistence.snapshot().session.total_usage.total_tokens == 24
    branch = session.persistence.fork("s-b")  # a fork made now counts it too
    assert branch.session.total_usage.total_tokens == 24
    session.save()
    assert store.inner.load("s").total_usage.total_tokens == 24


def test_a_failed_save_never_adopts_another_writers_generation():
    store = FailsOnce(OSError(errno.EIO, "disk error"))
    AgentSession(session_id="s", store=store).save()
    session = resume_session(store, "s")
    store.fail_next, store.publish = True, False  # failed, and nothing was published
    session.history.append(msg("user", "mine"))
    with pytest.raises(OSError):
        session.save()
    store.readable = True
    other = resume_session(store, "s")  # another writer saves meanwhile
    other.history.append(msg("user", "theirs"))
    other.save()
    with pytest.raises(ConflictError):
        session.save()  # not a blind overwrite of their save
    assert texts(store.inner.load("s").messages) == ["theirs"]

