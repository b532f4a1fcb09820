"""A throwaway PostgreSQL 15 cluster for the tests: initdb as the postgres user, one fresh database per test."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path(os.environ.get("KB_PG_BIN", "/usr/lib/postgresql/15/bin"))
PORTS = range(55400, 55500)
TEMPLATE = "kb_template"
MISSING = ("PostgreSQL 15 is needed for the tests that run on both backends, and {what} is missing: install "
           "Debian's postgresql package (apt-get install -y postgresql), or set KB_SKIP_PG=1 to skip them "
           "(CI never does)")


def skip_requested() -> bool:
    return os.environ.get("KB_SKIP_PG") == "1"


def _free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1} for the test PostgreSQL cluster")


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the postgres OS user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class Cluster:
    """A cluster in a temporary directory on 127.0.0.1 (trust authentication), stopped and removed by :meth:`stop`."""

    def __init__(self) -> None:
        for tool in ("initdb", "pg_ctl"):
            if not (PG_BIN / tool).is_file():
                raise RuntimeError(MISSING.format(what=PG_BIN / tool))
        self.dir = Path(tempfile.mkdtemp(prefix="kb-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.port = _free_port()
        self._names = itertools.count(1)
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"])
        conf = (f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n"
                "shared_buffers = 64MB\n")
        self._run(["sh", "-c", f"cat >> '{self.data}/postgresql.conf'"], stdin=conf)
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
                   "-t", "60", "start"])
        self.url_base = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"
        self._admin("postgres", f"CREATE DATABASE {TEMPLATE}")
        self._migrate_template()

    def _run(self, args: list[str], stdin: str | None = None) -> None:
        done = subprocess.run(_as_postgres(args), input=stdin, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()} {tail}")

    def _admin(self, db: str, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=db, autocommit=True) as c:
            c.execute(sql)  # type: ignore[arg-type]

    def _migrate_template(self) -> None:
        from kb.store import database

        engine = database.get_engine(f"{self.url_base}/{TEMPLATE}")
        engine.dispose()
        database.dispose_all()

    def url(self, name: str) -> str:
        return f"{self.url_base}/{name}"

    def new_database(self, empty: bool = False) -> str:
        """The URL of a new database: migrated (a copy of the template), or ``empty`` (no schema at all)."""
        name = f"kb_test_{next(self._names)}"
        self._admin("postgres", f"CREATE DATABASE {name}" + ("" if empty else f" TEMPLATE {TEMPLATE}"))
        return self.url(name)

    def copy_database(self, url: str) -> str:
        """A new database copied from the one at ``url`` (nobody may be connected to it: dispose its engine first)."""
        name = f"kb_test_{next(self._names)}"
        self._admin("postgres", f"CREATE DATABASE {name} TEMPLATE {url.rsplit('/', 1)[1]}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        finally:
            time.sleep(0.1)
            shutil.rmtree(self.dir, ignore_errors=True)
