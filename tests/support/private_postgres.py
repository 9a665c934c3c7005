"""A PostgreSQL cluster of the test's own, which it may restart.

The machine's cluster serves other test runs and the test process itself, so a test that restarts
PostgreSQL gets one of its own: Debian's PostgreSQL binaries, a data directory in a temporary
folder, a free port, trust authentication on 127.0.0.1 only. The test database is copied into it
with pg_dump, schema and rows (the job rows included)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a server binary as the postgres user when we are root (the server refuses root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, check=True, capture_output=True, text=True, **kwargs)


class PrivatePostgres:
    def __init__(self, root: Path):
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "server.log"

    @property
    def url(self) -> str:
        return f"postgis://postgres:@127.0.0.1:{self.port}/laksa_restart"

    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=laksa_restart"

    def _ctl(self, *args: str) -> None:
        _as_postgres([str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args])

    def start(self) -> None:
        self._ctl("-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off", "start")

    def restart(self) -> None:
        """A real restart: the server stops (every connection is cut, new ones are refused) and
        comes back on the same port and data."""
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")


@contextmanager
def private_postgres_copy_of(database: dict):
    """A running private cluster holding a copy of `database` (Django's settings_dict) as
    `laksa_restart`; stopped and removed afterwards."""
    if not (BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL server binaries not found in {BIN}")
    root = Path(tempfile.mkdtemp(prefix="laksa-pg-"))
    if os.geteuid() == 0:
        uid = pwd.getpwnam("postgres")
        os.chown(root, uid.pw_uid, uid.pw_gid)
    pg = PrivatePostgres(root)
    try:
        _as_postgres([str(BIN / "initdb"), "-D", str(pg.data), "-U", "postgres", "-A", "trust", "--no-sync",
                      "-E", "UTF8", "--locale=C.UTF-8"])
        pg.start()
        env = {**os.environ, "PGPASSWORD": database.get("PASSWORD") or ""}
        source = ["-h", database.get("HOST") or "127.0.0.1", "-p", str(database.get("PORT") or 5432),
                  "-U", database["USER"], database["NAME"]]
        subprocess.run([str(BIN / "createdb"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres",
                        "laksa_restart"], check=True, capture_output=True)
        dump = subprocess.Popen([str(BIN / "pg_dump"), "--no-owner", "--no-privileges", *source],
                                stdout=subprocess.PIPE, env=env)
        subprocess.run([str(BIN / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(pg.port),
                        "-U", "postgres", "-d", "laksa_restart"], stdin=dump.stdout, check=True,
                       capture_output=True)
        assert dump.wait() == 0, "pg_dump failed"
        yield pg
    finally:
        try:
            pg.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(root, ignore_errors=True)
