"""The SQL stores beside the file store and bare baselines, measured in one run.

    python3 benchmarks/bench_sql.py            # SQLite (and PostgreSQL, see below)
    python3 benchmarks/bench_sql.py --quick    # small sizes, for a smoke test
    bash .ci/postgres.sh run -- python3 benchmarks/bench_sql.py   # with a throwaway server

PostgreSQL is measured when ``A3S_TEST_POSTGRES_DSN`` names a server (the
benchmark works in a schema of its own and drops it). Not collected by
pytest: speed is never asserted by tests.

Rows (each the median of repeated runs, every contender measured in turn in
each round, so that all see the same machine load):

* ``append@N``: one message appended to an N-message session and saved (the
  session object stays in memory, as in an agent loop).
  Baselines: for the file store, ``json.dumps`` of the session, temporary
  file, fsync, ``os.replace``, fsync of the folder; for SQL, a bare
  driver ``INSERT`` of one message row (``json.dumps`` text) and commit, in
  the same durability mode (SQLite: WAL, ``synchronous=FULL``).
* ``load@N``: a fresh load. Baselines: ``open`` + ``json.loads`` of the
  file; a bare ``SELECT`` of the message rows + ``json.loads`` of each.
* ``list 10000``: ``list_summaries()`` of 10,000 sessions. Baselines:
  ``os.scandir`` of the folder; a bare ``SELECT`` of the summary columns.
* ``append@N check``: the part of an SQL append that proves the stored
  history unchanged (identity of the messages and a fingerprint of the
  JSON they hold that can change in place), shown for information.

Prints a table; writes ``benchmarks/results/sql-latest.json``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)

from bench import baseline_read, baseline_write, make_message_dict, session_dict  # noqa
from a3s_store import FileSessionStore, Message, SessionData, SqlSessionStore, _index  # noqa

PG_VARIABLE = "A3S_TEST_POSTGRES_DSN"
_MESSAGES = ("CREATE TABLE m (session_id TEXT NOT NULL, position BIGINT NOT NULL, "
             "message TEXT NOT NULL, PRIMARY KEY (session_id, position))")


class Contender:
    """One thing measured (a store or a baseline): operation name -> function."""

    def __init__(self, name: str, **ops) -> None:
        self.name, self.ops = name, ops


def file_pair(tmp: str, n: int, sd: dict, rng) -> list[Contender]:
    store = FileSessionStore(os.path.join(tmp, f"file-{n}"))
    session = SessionData.from_dict(sd)
    store.save(session)
    path = os.path.join(tmp, f"plain-{n}.json")
    plain = json.loads(json.dumps(sd))
    baseline_write(path, plain)

    def append_store():
        session.messages.append(Message.from_dict(make_message_dict(rng, n)))
        store.save(session)

    def append_plain():
        plain["messages"].append(make_message_dict(rng, n))
        baseline_write(path, plain)

    return [Contender("file store", append=append_store, load=lambda: store.load(session.id)),
            Contender("plain json+fsync", append=append_plain, load=lambda: baseline_read(path))]


class SqlSide:
    """A database of one dialect: its store and a bare connection beside it."""

    def __init__(self, dialect: str, tmp: str) -> None:
        self.dialect = dialect
        if dialect == "sqlite":
            self.path = os.path.join(tmp, "bench.db")
            self.bare_path = os.path.join(tmp, "bare.db")
            self.bare = sqlite3.connect(self.bare_path, isolation_level=None)
            self.bare.execute("PRAGMA journal_mode=WAL")
            self.bare.execute("PRAGMA synchronous=FULL")
            self.bare.execute(_MESSAGES + " WITHOUT ROWID")
            self.mark = "?"
        else:
            import psycopg

            self.dsn = os.environ[PG_VARIABLE]
            self.schema = "a3s_bench_" + secrets.token_hex(4)
            self.bare = psycopg.connect(self.dsn, autocommit=True)
            self.bare.execute(f"CREATE SCHEMA {self.schema}")
            self.bare.execute(f"SET search_path = {self.schema}")
            self.bare.execute(_MESSAGES)
            self.mark = "%s"

    def open(self, **options) -> SqlSessionStore:
        if self.dialect == "sqlite":
            return SqlSessionStore.sqlite(self.path, **options)
        return SqlSessionStore.postgres(self.dsn, options=f"-c search_path={self.schema}")

    def close(self) -> None:
        if self.dialect == "postgresql":
            self.bare.execute(f"DROP SCHEMA {self.schema} CASCADE")
        self.bare.close()


def sql_pair(side: SqlSide, n: int, sd: dict, rng) -> list[Contender]:
    store = side.open()
    session = SessionData.from_dict(sd)
    store.save(session)
    sid, q = f"bare-{n}", side.mark
    bare, rows = side.bare, [json.dumps(m) for m in sd["messages"]]
    bare.cursor().executemany(f"INSERT INTO m VALUES ({q}, {q}, {q})",
                              [(sid, i, text) for i, text in enumerate(rows)])
    position = [len(rows)]

    def append_store():
        session.messages.append(Message.from_dict(make_message_dict(rng, n)))
        store.save(session)

    def append_bare():
        cur = bare.cursor()
        cur.execute("BEGIN")
        cur.execute(f"INSERT INTO m VALUES ({q}, {q}, {q})",
                    (sid, position[0], json.dumps(make_message_dict(rng, n))))
        cur.execute("COMMIT")
        position[0] += 1

    def load_bare():
        cur = bare.cursor()
        cur.execute(f"SELECT message FROM m WHERE session_id = {q} ORDER BY position", (sid,))
        return [json.loads(row[0]) for row in cur.fetchall()]

    def check():
        return store._mirrors._mirrors[session.id].unchanged_prefix(list(session.messages))

    fresh = side.open()
    return [Contender(f"{side.dialect} store", append=append_store,
                      load=lambda: fresh.load(session.id)),
            Contender(f"bare {side.dialect}", append=append_bare, load=load_bare),
            Contender(f"{side.dialect} check", append=check)]


def timed(fn, repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn``, each after a collection."""
    out = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def rounds(contenders: list[Contender], op: str, repeat: int) -> dict[str, list[float]]:
    """Times (ms) of ``op`` of each contender that has it, in ``repeat`` rounds."""
    having = [c for c in contenders if op in c.ops]
    times: dict[str, list[float]] = {c.name: [] for c in having}
    for _ in range(repeat):
        for c in having:
            times[c.name] += timed(c.ops[op], 1)
    return times


def bench_sizes(tmp: str, sides: list[SqlSide], sizes, table: list) -> None:
    for n in sizes:
        rng = random.Random(n)
        sd = session_dict(f"s{n}", n, rng)
        contenders = file_pair(tmp, n, sd, rng)
        for side in sides:
            contenders += sql_pair(side, n, sd, rng)
        for c in contenders:  # warm-up: first saves after set-up, prepared statements
            c.ops["append"]()
        appends = rounds(contenders, "append", 9 if n >= 10_000 else 21)
        loads = rounds(contenders, "load", 5 if n >= 10_000 else 11)
        add_rows(table, f"append@{n}", appends, sides)
        add_rows(table, f"load@{n}", loads, sides)


def add_rows(table: list, op: str, times: dict, sides: list[SqlSide]) -> None:
    med = {k: statistics.median(v) for k, v in times.items()}
    table.append((op, "file store", med["file store"], "plain json+fsync",
                  med["plain json+fsync"]))
    for side in sides:
        d = side.dialect
        table.append((op, f"{d} store", med[f"{d} store"], f"bare {d}", med[f"bare {d}"]))
        if f"{d} check" in med:
            table.append((f"{op} check", f"{d} store", med[f"{d} check"], f"bare {d}",
                          med[f"bare {d}"]))


def bench_list(tmp: str, sides: list[SqlSide], count: int, table: list) -> None:
    rng = random.Random(3)
    docs = [SessionData.from_dict(session_dict(f"session-{i:05d}", 2 + i % 5, rng))
            for i in range(count)]
    root = os.path.join(tmp, "list-files")
    files = FileSessionStore(root, durable=False)  # set-up only; listing does not write
    for session in docs:
        files.save(session)
    stores = []
    for side in sides:
        seeding = side.open(synchronous="OFF") if side.dialect == "sqlite" else side.open()
        for session in docs:
            seeding.save(SessionData.from_dict({**session.to_dict(), "id": "l-" + session.id}))
        seeding.close()
        stores.append((side, side.open()))
    time.sleep(_index.RACY_NS / 1e9 + 0.1)  # let the file store trust its listing index
    files.list_summaries()

    def scandir():
        with os.scandir(root) as it:
            return [e.name[:-5] for e in it if e.name.endswith(".json")]

    contenders = [Contender("file store", list=files.list_summaries),
                  Contender("plain json+fsync", list=scandir)]
    for side, store in stores:
        contenders += [Contender(f"{side.dialect} store", list=store.list_summaries),
                       Contender(f"bare {side.dialect}", list=_bare_listing(side))]
    add_rows(table, f"list {count}", rounds(contenders, "list", 9), sides)


def _bare_listing(side: SqlSide):
    def listing():
        cur = side.bare.cursor()
        cur.execute("SELECT id, name, state, model, message_count, created_at, updated_at, "
                    "size_bytes FROM a3s_sessions WHERE document IS NOT NULL ORDER BY id")
        return cur.fetchall()

    if side.dialect == "sqlite":
        side.bare.execute(f"ATTACH DATABASE '{side.path}' AS store")
        side.bare.execute("CREATE TEMP VIEW a3s_sessions AS SELECT * FROM store.a3s_sessions")
    return listing


def print_table(table: list) -> None:
    print(f"{'operation':22} {'store':18} {'ms':>9}   {'baseline':18} {'ms':>9} {'ratio':>6}")
    for op, name, ms, base, base_ms in table:
        print(f"{op:22} {name:18} {ms:9.3f}   {base:18} {base_ms:9.3f} {ms / base_ms:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "sql-latest.json"))
    args = parser.parse_args()
    sizes = [100, 1000] if args.quick else [100, 1000, 10_000]
    count = 1000 if args.quick else 10_000
    tmp = tempfile.mkdtemp(prefix="a3s-bench-sql-", dir=os.environ.get("BENCH_TMP"))
    sides = [SqlSide("sqlite", tmp)]
    if os.environ.get(PG_VARIABLE):
        sides.append(SqlSide("postgresql", tmp))
    table: list = []
    try:
        bench_sizes(tmp, sides, sizes, table)
        bench_list(tmp, sides, count, table)
    finally:
        for side in sides:
            side.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(table)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        json.dump({"machine": {"python": platform.python_version(),
                               "sqlite": sqlite3.sqlite_version,
                               "platform": platform.platform(), "cpus": os.cpu_count()},
                   "rows": [dict(zip(("operation", "store", "ms", "baseline", "baseline_ms"),
                                     r)) for r in table]}, fh, indent=2)
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
