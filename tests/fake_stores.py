"""Custom SessionStore backends for the persistence helper's tests.

* :class:`CountingStore` wraps a real store and counts every method call, to
  prove what the helper asks of a backend (one ``save_snapshot`` per save).
* :class:`KeyIgnoringStore` answers every load with what it was told to
  serve, whatever key was asked for: the backend that does not enforce
  identity, which the helper must not trust.
* :class:`FailingStore` raises from chosen methods.
"""

from __future__ import annotations

from collections import Counter

from a3s_store import LoopCheckpoint, MemorySessionStore, SessionSnapshot


class CountingStore:
    def __init__(self, inner=None):
        self.inner = inner if inner is not None else MemorySessionStore()
        self.calls = Counter()

    def __getattr__(self, name):
        method = getattr(self.inner, name)

        def counted(*args, **kwargs):
            self.calls[name] += 1
            return method(*args, **kwargs)

        return counted

    def writes(self) -> Counter:
        """Calls of methods that change the store."""
        return Counter({k: v for k, v in self.calls.items() if k.startswith(("save", "delete"))})


class KeyIgnoringStore:
    """Serves one snapshot (and one loop checkpoint) for any key.

    Saves go to an inner memory store, so what is served is whatever
    ``serve`` stored, copied out like a real store would.
    """

    def __init__(self):
        self.inner = MemorySessionStore()
        self._session_id = None
        self._run_id = None

    def serve(self, snapshot: SessionSnapshot) -> None:
        self._session_id = snapshot.session.id
        self.inner.save_snapshot(snapshot)

    def serve_checkpoint(self, checkpoint: LoopCheckpoint) -> None:
        self._run_id = checkpoint.run_id
        self.inner.save_loop_checkpoint(checkpoint.run_id, checkpoint)

    def load(self, session_id):
        return self.inner.load(self._session_id) if self._session_id else None

    def load_snapshot(self, session_id):
        return self.inner.load_snapshot(self._session_id) if self._session_id else None

    def load_loop_checkpoint(self, run_id):
        return self.inner.load_loop_checkpoint(self._run_id) if self._run_id else None

    def backend_name(self):
        return "key-ignoring"

    def __getattr__(self, name):
        return getattr(self.inner, name)


class FailingStore:
    """A memory store whose named methods raise ``error``."""

    def __init__(self, *failing: str, error: Exception | None = None):
        self.inner = MemorySessionStore()
        self.failing = set(failing)
        self.error = error if error is not None else OSError(28, "No space left on device")

    def __getattr__(self, name):
        if name in self.failing:
            def fail(*args, **kwargs):
                raise self.error
            return fail
        return getattr(self.inner, name)
