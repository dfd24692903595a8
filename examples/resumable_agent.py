"""A resumable agent loop: save after every turn, get killed, resume with nothing lost.

    python examples/resumable_agent.py [STORE_DIR]

The agent is fake (a scripted model, no network), the loop is the shape of a
real one. The script runs the agent in a child process that is killed with
SIGKILL half-way through a turn, then resumes the session from the store
and finishes the work.
"""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from a3s_store import (  # noqa: E402 - after the path set-up for a source checkout
    AgentSession,
    FileSessionStore,
    Message,
    SessionNotFoundError,
    TextBlock,
    TokenUsage,
    resume_session,
)

SESSION_ID = "resumable-demo"
SCRIPT = [  # (user prompt, what the scripted model answers)
    ("What is 2 + 2?", "4"),
    ("Times 3?", "12"),
    ("Minus 5?", "7"),
    ("Squared?", "49"),
    ("Plus 1?", "50"),
    ("Halved?", "25"),
]


def text(role: str, words: str) -> Message:
    return Message(role=role, content=[TextBlock(text=words)])


def words_of(message: Message) -> str:
    """The text of a message of one text block."""
    block = message.content[0]
    assert isinstance(block, TextBlock)
    return block.text


def scripted_model(history: list[Message]) -> tuple[str, TokenUsage]:
    """The 'LLM': answers the latest question from the script."""
    question = words_of(history[-1])
    return dict(SCRIPT)[question], TokenUsage(prompt_tokens=10, completion_tokens=2,
                                              total_tokens=12)


def run_agent(store_dir: str, die_in_turn: int | None = None) -> AgentSession:
    store = FileSessionStore(store_dir)
    try:
        session = resume_session(store, SESSION_ID)
        print(f"resumed with {len(session.history)} messages", flush=True)
    except SessionNotFoundError:
        session = AgentSession(session_id=SESSION_ID, model="scripted/calculator", store=store)
    turns_done = sum(m.role == "assistant" for m in session.history)
    for turn, (question, _) in enumerate(SCRIPT[turns_done:], start=turns_done + 1):
        session.history.append(text("user", question))
        if turn == die_in_turn:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-turn: no cleanup, no goodbye
        answer, usage = scripted_model(session.history)
        session.history.append(text("assistant", answer))
        session.record_usage(usage)
        session.save()  # one call: the whole session, all or nothing
        print(f"turn {turn}: {question} -> {answer}", flush=True)
    return session


def main() -> None:
    store_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    if len(sys.argv) > 2:  # the child: run until killed in the given turn
        run_agent(store_dir, die_in_turn=int(sys.argv[2]))
        return
    child = subprocess.run([sys.executable, __file__, store_dir, "4"])
    print(f"agent process killed (exit status {child.returncode})", flush=True)
    session = run_agent(store_dir)
    saved = FileSessionStore(store_dir).load(SESSION_ID)
    assert saved is not None
    assert [words_of(m) for m in saved.messages] == [w for turn in SCRIPT for w in turn]
    assert saved.total_usage.total_tokens == 12 * len(SCRIPT)
    print(f"done: {len(session.history)} messages, {saved.total_usage.total_tokens} tokens")


if __name__ == "__main__":
    main()
