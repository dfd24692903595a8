"""Try another branch from here: fork a session, as you would in a notebook.

    python examples/notebook_fork.py [STORE_DIR]

Each block below is what a notebook cell would hold. A session answers two
questions and is saved; then, from that point, ``fork`` makes a new session
(saved, create-only) to try a different follow-up, while the original goes
on its own way. Both are ordinary sessions in the store afterwards; the
original's saved generation was never touched by the fork.
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from a3s_store import (  # noqa: E402 - after the path set-up for a source checkout
    AgentSession,
    FileSessionStore,
    Message,
    SessionSnapshot,
    TextBlock,
    resume_session,
)


def say(session: AgentSession, role: str, text: str) -> None:
    session.history.append(Message(role=role, content=[TextBlock(text=text)]))


def last_words(session: AgentSession) -> str:
    return " / ".join(block.text for m in session.history[-2:] for block in m.content[:1]
                      if isinstance(block, TextBlock))


def snapshot(store: FileSessionStore, session_id: str) -> SessionSnapshot:
    found = store.load_snapshot(session_id)
    assert found is not None, session_id
    return found


def main() -> None:
    store = FileSessionStore(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp())

    # [1] a session, two turns, saved
    main_line = AgentSession(session_id="trip", model="openai/gpt-4o", api_key="sk-...",
                             store=store)
    say(main_line, "user", "Plan a day in Lisbon")
    say(main_line, "assistant", "Morning: Alfama. Afternoon: Belem.")
    main_line.save()
    saved_revision = snapshot(store, "trip").revision

    # [2] from here, try another branch: a new saved session, same settings
    branch = main_line.fork("trip-rainy", workspace="/tmp/trip-rainy")
    say(branch, "user", "And if it rains?")
    say(branch, "assistant", "Museums: Gulbenkian, then tiles at MNAz.")
    branch.save()
    untouched = snapshot(store, "trip").revision == saved_revision
    print(f"forked {branch.session_id!r} in {branch.workspace}; 'trip' untouched: {untouched}")

    # [3] the original goes on as if nothing happened
    say(main_line, "user", "Where to eat?")
    say(main_line, "assistant", "Time Out Market.")
    main_line.save()

    # [4] both are sessions of their own
    for session_id in store.list():
        again = resume_session(store, session_id)
        print(f"{session_id}: {len(again.history)} messages; {last_words(again)}")
    assert snapshot(store, "trip-rainy").session.messages[:2] == \
        snapshot(store, "trip").session.messages[:2]


if __name__ == "__main__":
    main()
