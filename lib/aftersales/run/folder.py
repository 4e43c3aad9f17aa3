"""The pack's folder on disk: which folder a run may replace, one run at a time per folder, and
the swap that puts a finished pack in place without ever leaving the folder empty.

A run writes into a hidden folder beside its target (`.<name>.tmp-<pid>`) and swaps it in only once
complete. It only ever replaces a folder that is a pack this workbook wrote (its manifest says so),
or an empty one; anything else — a dealer's data, a thesis — is refused before any work.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path


class FolderError(Exception):
    """An output folder a run must not (or cannot) write."""


#: The keys every manifest.json of a pack holds (run/finish.py writes them).
_MANIFEST_KEYS = ("created_utc", "period", "as_of", "reports", "versions")


def is_pack(folder: Path) -> bool:
    """True when `folder` holds a pack this workbook wrote (its manifest.json names this package)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(manifest, dict) and all(k in manifest for k in _MANIFEST_KEYS)
            and isinstance(manifest["versions"], dict) and "aftersales" in manifest["versions"])


def _local_path(source: str | None) -> Path | None:
    if not source or "://" in source:
        return None
    return Path(source).resolve()


def check_out(out: Path, source: str | None) -> None:
    """Refuse an output folder that is not ours to replace: one holding anything but a pack, a
    file, the source itself or a folder inside (or around) the source. Checked before any work."""
    src = _local_path(source)
    if src is not None:
        inside = src.is_dir() and src in out.parents  # a folder source: nothing may be written inside it
        if out == src or inside or out in src.parents:
            raise FolderError(f"--out {out} is the source's folder, inside it or around it ({src}): "
                              "a run never writes over its own data; choose another --out")
    if out.exists() or out.is_symlink():
        if not out.is_dir() or out.is_symlink():
            raise FolderError(f"--out {out} exists and is not a folder: choose another --out")
        if any(out.iterdir()) and not is_pack(out):
            raise FolderError(f"--out {out} exists and is not a pack this workbook wrote (it has no pack "
                              "manifest.json): a run only replaces its own packs, so nothing was written; "
                              "choose another --out, or empty that folder yourself")
    _check_writable(out.parent)


def _check_writable(parent: Path) -> None:
    """Make the parent folder and prove a file can be created there."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe = parent / f".aftersales-probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise FolderError(f"the folder {parent} cannot be written ({exc.strerror or exc}): "
                          "choose another --out") from None


class Lock:
    """One run at a time per output folder: wait for the other, or refuse."""

    def __init__(self, out: Path, wait: bool):
        self.path = out.parent / f".{out.name}.lock"
        self.out = out
        self.wait = wait
        self.handle = None

    def __enter__(self) -> "Lock":
        self.handle = open(self.path, "w")
        flags = fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB)
        try:
            fcntl.flock(self.handle, flags)
        except BlockingIOError:
            self.handle.close()
            raise FolderError(f"another run is writing {self.out}; try again when it has finished "
                              "(or let this run wait for it)") from None
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_of(path: Path) -> int | None:
    tail = path.name.rsplit("-", 1)[-1].split(".")[0]
    return int(tail) if tail.isdigit() else None


def recover(out: Path) -> list[str]:
    """Mend what a run killed mid-way left beside `out` (call it holding the lock): a previous pack
    parked as `.<name>.old-<pid>` is put back when `out` is missing, else removed; half-written
    packs and source snapshots are removed. Returns what it did, in words."""
    done = []
    for old in sorted(out.parent.glob(f".{out.name}.old-*")):
        pid = _pid_of(old)
        if pid is not None and _alive(pid) and pid != os.getpid():
            continue
        if not out.exists() and is_pack(old):
            old.rename(out)
            done.append(f"restored the previous pack {out} that an interrupted run had set aside")
        else:
            shutil.rmtree(old, ignore_errors=True)
            done.append(f"removed {old.name}, a previous pack an interrupted run had set aside")
    patterns = (f".{out.name}.tmp-*", ".aftersales-source-*.duckdb", ".aftersales-source-*.duckdb.wal")
    places = {out.parent, Path(tempfile.gettempdir())}
    for stale in [p for place in places for pattern in patterns for p in place.glob(pattern)]:
        pid = _pid_of(stale)
        if pid is not None and _alive(pid):
            continue
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)
        else:
            stale.unlink(missing_ok=True)
    return done


def snapshot_path(out: Path) -> Path:
    """Where a run keeps its one read of a CSV source: beside the pack, or in the system's temporary
    folder when the pack's folder has a backslash or a `?` in its path (the engine's ATTACH reads a
    backslash as a separator and cuts the path of its log file at a `?`)."""
    place = out.parent if not {"\\", "?"} & set(str(out.parent)) else Path(tempfile.gettempdir())
    return place / f".aftersales-source-{os.getpid()}.duckdb"


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def swap(tmp: Path, out: Path) -> None:
    """Put the finished pack `tmp` at `out`. Where the system can exchange two folders in one step,
    `out` is never missing, not even for an instant; elsewhere the previous pack is parked as
    `.<name>.old-<pid>` between two renames, and `recover` puts it back after a crash there."""
    if not out.exists():
        tmp.rename(out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the previous pack
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
