"""A throwaway PostgreSQL server for the tests.

`Server` runs the machine's own PostgreSQL binaries (`initdb`, `pg_ctl`) on a data directory
in a temporary folder, listening on 127.0.0.1 at a random free port, with every statement
written to its log file (`log_statement = all`: the tests read it to see what the workbook
asked the server). As root (initdb refuses to run as root) the server runs as the
`postgres` user. Local socket connections are trusted; TCP connections need a password.

    python tests/pg.py        # start one by hand; prints its URL; Ctrl-C or `kill PID` stops it
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ADMIN = "postgres"
ADMIN_PASSWORD = "admin-secret-7Qx"


def binaries() -> Path | None:
    """The folder of the newest installed PostgreSQL's server programs, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def missing_reason() -> str | None:
    """Why a server cannot be started here (None when it can)."""
    if binaries() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no postgres user to run the server as"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One PostgreSQL server in a throwaway folder (see the module docstring)."""

    def __init__(self, folder: str | Path | None = None):
        self.bin = binaries()
        self.folder = Path(folder or tempfile.mkdtemp(prefix="aftersales-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"

    # -- processes ----------------------------------------------------------------
    def _run(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd="/", input=input)

    def start(self) -> "Server":
        self.folder.mkdir(parents=True, exist_ok=True)
        pwfile = self.folder / "pwfile"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self.user:
            uid, gid = pwd.getpwnam(self.user).pw_uid, pwd.getpwnam(self.user).pw_gid
            for path in (self.folder, pwfile):
                os.chown(path, uid, gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", ADMIN, "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
        pwfile.unlink()
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.folder} "
                   "-c log_statement=all -c logging_collector=off -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c shared_buffers=64MB")
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                           "-w", "-t", "60", "start", check=False)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {result.stdout}{result.stderr}{log[-2000:]}")
        return self

    def stop(self) -> None:
        if self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    # -- SQL as the administrator (over the local socket, trusted) -----------------------------
    def psql(self, sql: str, database: str = "postgres", input: str | None = None) -> str:
        """Run `sql` as the administrator (`input`: what a ``\\copy … FROM STDIN`` reads); returns
        psql's unaligned output."""
        psql = str(self.bin / "psql") if (self.bin / "psql").exists() else "psql"
        result = self._run(psql,
                           "-h", str(self.folder), "-p", str(self.port), "-U", ADMIN, "-d", database,
                           "-v", "ON_ERROR_STOP=1", "-X", "-q", "-A", "-t", "-c", sql, check=False, input=input)
        if result.returncode != 0:
            raise RuntimeError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}"')

    def create_user(self, name: str, password: str, *, superuser: bool = False) -> None:
        # not in the statement log: the password is in the statement
        role = "SUPERUSER" if superuser else "NOSUPERUSER"
        self.psql(f"SET log_statement = 'none'; CREATE ROLE \"{name}\" LOGIN {role} PASSWORD '{password}'")

    def url(self, user: str = ADMIN, database: str = "postgres") -> str:
        """A URL without password (give it in PGPASSWORD)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    reason = missing_reason()
    if reason:
        raise SystemExit(reason)
    import signal

    def _stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)  # `kill PID` stops the server and removes its folder
    with Server() as server:
        print(server.url(), f"(PGPASSWORD={ADMIN_PASSWORD}; log {server.log})", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
