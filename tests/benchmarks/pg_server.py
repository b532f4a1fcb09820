"""A throwaway PostgreSQL 15 server for the benchmarks, with the server's durable defaults (fsync and synchronous
commit on, unlike the test cluster of tests/pg.py, which turns them off for speed): a fair match for SQLite in WAL
mode with ``synchronous=NORMAL``."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.pg import MISSING, PG_BIN, _as_postgres, _free_port


@contextmanager
def durable_server(max_connections: int = 200) -> Iterator[str]:
    """Start a cluster on 127.0.0.1 (trust authentication for the local benchmark user ``postgres``); yields the
    server URL (database ``postgres``) and stops and removes the cluster afterwards."""
    for tool in ("initdb", "pg_ctl"):
        if not (PG_BIN / tool).is_file():
            raise SystemExit(MISSING.format(what=PG_BIN / tool))
    root = Path(tempfile.mkdtemp(prefix="kb-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", _free_port()

    def run(args: list[str], stdin: str | None = None) -> None:
        done = subprocess.run(_as_postgres(args), input=stdin, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip()}")

    run([str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
         "--locale=C.UTF-8"])
    run(["sh", "-c", f"cat >> '{data}/postgresql.conf'"],
        stdin=f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{root}'\n"
              f"max_connections = {max_connections}\n")
    run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"), "-w", "-t", "60", "start"])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        try:
            run([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(root, ignore_errors=True)
