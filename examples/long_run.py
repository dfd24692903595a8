"""One long agent run that survives kill -9 in its middle, and goes on from there.

    python examples/long_run.py [STORE_DIR]

A scripted agent works through one task in six tool rounds, all in one run.
With ``auto_save=True`` each round ends with ``run.checkpoint(messages)``:
the loop checkpoint, then the session, so the stored session follows the run
round by round. The script runs the agent in a child process that is
killed with SIGKILL in the middle of round 4, then resumes the session in a
new process: it finds the interrupted run, continues it from the last round
saved, and finishes the task. The interrupted run is closed, and no
checkpoint is left behind.
"""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from a3s_store import (  # noqa: E402 - after the path set-up for a source checkout
    AgentRun,
    AgentSession,
    FileSessionStore,
    Message,
    SessionNotFoundError,
    SessionOptions,
    TextBlock,
    TokenUsage,
    ToolResultBlock,
    ToolUseBlock,
    resume_session,
)

SESSION_ID = "long-run-demo"
TASK = "Count the lines of every file in the project"
FILES = ["README.md", "setup.cfg", "pyproject.toml", "LICENSE", "CHANGELOG.md", "Makefile"]
LINES = {name: 10 * (i + 1) for i, name in enumerate(FILES)}  # what the fake tool reports


def tool_round(history: list[Message], n: int) -> list[Message]:
    """Round ``n`` of the scripted agent: one tool call and its result."""
    name = FILES[n - 1]
    call = ToolUseBlock(id=f"call-{n}", name="wc", input={"path": name})
    result = ToolResultBlock(tool_use_id=f"call-{n}", content=f"{LINES[name]} {name}")
    return [*history, Message(role="assistant", content=[call]),
            Message(role="user", content=[result])]


def open_session(store_dir: str) -> tuple[AgentSession, AgentRun]:
    """The session and its run: resumed after a crash, or new."""
    store = FileSessionStore(store_dir)
    try:
        session = resume_session(store, SESSION_ID, SessionOptions(auto_save=True))
    except SessionNotFoundError:
        session = AgentSession(session_id=SESSION_ID, model="scripted/wc", auto_save=True,
                               store=store)
        session.history.append(Message(role="user", content=[TextBlock(text=TASK)]))
        return session, session.start_run(TASK)
    [interrupted] = session.interrupted_runs()
    run = session.resume_run(interrupted)
    print(f"resumed the interrupted run after round {run.turn} "
          f"({len(session.history)} messages)", flush=True)
    return session, run


def run_agent(store_dir: str, die_in_round: int | None = None) -> AgentSession:
    session, run = open_session(store_dir)
    for n in range(run.turn + 1, len(FILES) + 1):
        history = tool_round(session.history, n)
        run.record_usage(TokenUsage(prompt_tokens=100, completion_tokens=5, total_tokens=105),
                         tool_calls=1)
        if n == die_in_round:
            os.kill(os.getpid(), signal.SIGKILL)  # mid-round: no cleanup, no goodbye
        run.checkpoint(history)  # the round's messages, saved: checkpoint, then session
        print(f"round {n}: wc {FILES[n - 1]}", flush=True)
    total = sum(LINES.values())
    session.history.append(Message(role="assistant", content=[TextBlock(text=f"{total}")]))
    run.complete(f"{total} lines")
    return session


def main() -> None:
    store_dir = sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp()
    if len(sys.argv) > 2:  # the child: run until killed in the given round
        run_agent(store_dir, die_in_round=int(sys.argv[2]))
        return
    child = subprocess.run([sys.executable, __file__, store_dir, "4"])
    print(f"agent process killed (exit status {child.returncode})", flush=True)
    session = run_agent(store_dir)
    store = FileSessionStore(store_dir)
    saved = store.load_snapshot(SESSION_ID)
    assert saved is not None
    statuses = [str(r.snapshot.status) for r in saved.run_records]
    assert statuses == ["failed", "completed"], statuses
    assert all(store.load_loop_checkpoint(r.snapshot.id) is None for r in saved.run_records)
    assert saved.session.total_usage.total_tokens == 105 * len(FILES)
    print(f"done: {saved.run_records[-1].snapshot.result_text}, "
          f"{len(session.history)} messages, runs {statuses}")


if __name__ == "__main__":
    main()
