"""How many filesystem calls the common operations make, counted by the I/O layer's hook.

Every call goes through ``_fs`` and is counted there, so these budgets hold
whatever the operating system is doing. The store keeps them low by design:
one listing of ``.a3s_store`` tells whether recovery is needed, the lock is
three calls, every folder and file signature is looked up once per
operation, and the metadata record is read in two calls.
"""

from __future__ import annotations

import factories as f
from a3s_store import FileSessionStore
from faults import count_calls

# A save tells later listings what it changed (``_changes``): the root's mtime
# before and twice after, and the change log read and written again (open the
# cache folder; open, read; a temporary file made, written and renamed over
# it): eleven calls, none an fsync, that save the next listing a scan of the root.
SAVE_BUDGET = 35
LOAD_BUDGET = 12


def test_a_second_save_and_a_load_of_a_plain_id_stay_within_budget(tmp_path):
    store = FileSessionStore(tmp_path / "store")
    session = f.session("chat-1", messages=3)
    store.save(session)  # the first save makes the store's folders
    saving = count_calls(lambda: store.save(session))
    loading = count_calls(lambda: store.load("chat-1"))
    assert len(saving) <= SAVE_BUDGET, saving
    assert len(loading) <= LOAD_BUDGET, loading
    # What a durable save cannot do without: the temporary file made durable,
    # renamed, and its folder synced; and a load reads the file.
    assert {"fsync", "replace", "fsync_dir"} <= set(saving)
    assert "read" in loading and "replace" not in loading


def test_the_count_sees_every_call_of_an_operation(tmp_path):
    # A save that must make its folders counts them too: the hook misses nothing.
    store = FileSessionStore(tmp_path / "store")
    first = count_calls(lambda: store.save(f.session("chat-1")))
    again = count_calls(lambda: store.save(f.session("chat-1")))
    assert first.count("mkdir") >= 1 and "mkdir" not in again
