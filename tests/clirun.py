"""Running the command line in a test: ``run(*args)`` gives ``(exit code, stdout, stderr)``.

At full strength (``A3S_FULL=1``, as CI runs it) every call starts
``python -m a3s_store ARGS`` as users run it. The default run calls
:func:`a3s_store.cli.main` in this process instead, with its own streams,
environment and working folder: a process costs about half a second here
and the command line tests make some 150 calls.
``test_cli`` checks that both ways give the same answers, and the tests
that need a real process (a closed stdout, a reader that leaves, a lock
held by another process) start one themselves.
"""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys

import strength
from a3s_store.cli import main

REPO = pathlib.Path(__file__).resolve().parent.parent


def run(*args: str, env_root=None):
    """Run ``python -m a3s_store ARGS`` (``A3S_STORE_ROOT=env_root`` if given)."""
    code, out, err = (in_a_process if strength.FULL else in_this_process)(args, env_root)
    assert "Traceback" not in err, err
    return code, out, err


def in_a_process(args, env_root) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "A3S_STORE_ROOT"}
    env["PYTHONPATH"] = str(REPO)
    if env_root is not None:
        env["A3S_STORE_ROOT"] = str(env_root)
    proc = subprocess.run([sys.executable, "-m", "a3s_store", *args], capture_output=True,
                          env=env, cwd=REPO, timeout=120)
    return proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")


def in_this_process(args, env_root) -> tuple[int, str, str]:
    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdout, sys.stderr, os.environ.get("A3S_STORE_ROOT"), os.getcwd()
    _set_root(None if env_root is None else str(env_root))
    # Byte buffers under text streams, as a pipe is: `export` writes bytes to stdout.buffer.
    # (held here too: a wrapper that is dropped closes its buffer)
    streams = [io.TextIOWrapper(buffer, encoding="utf-8", write_through=True)
               for buffer in (out, err)]
    sys.stdout, sys.stderr = streams
    os.chdir(REPO)
    try:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors, --help and --version
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        for stream in streams:
            stream.flush()
    finally:
        sys.stdout, sys.stderr = saved[0], saved[1]
        _set_root(saved[2])
        os.chdir(saved[3])
    text = out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")
    for stream in streams:
        stream.detach()
    return (code, *text)


def _set_root(value: str | None) -> None:
    if value is None:
        os.environ.pop("A3S_STORE_ROOT", None)
    else:
        os.environ["A3S_STORE_ROOT"] = value
