"""Atomic file writes: a temporary file in the target's folder, fsync, then rename over it.

A process killed mid-write leaves its temporary file (`.NAME.xxxxxxxx.tmp`) behind. Each writer
holds an exclusive lock (flock) on its temporary file until the rename, so the next write into
the folder can tell a leftover (old, and nobody holds its lock) from a write in progress, and
removes the leftovers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
from pathlib import Path

TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # tempfile.mkstemp(prefix=".NAME.", suffix=".tmp")
STALE_AFTER = 2.0  # seconds: a younger temporary file may be one another writer has just created


def write_text_atomically(target: Path, text: str) -> None:
    """Replace target with text so that readers see the old file or the new one, never a part.

    An existing file keeps its permissions; a new one gets the usual ones (0666 less the umask).
    Raises OSError (the old file, if any, is then untouched and no temporary file is left).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target.parent)
    mode = target.stat().st_mode & 0o777 if target.exists() else None
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    replaced = False
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            fcntl.flock(out.fileno(), fcntl.LOCK_EX)  # held until closed, after the rename: "in use"
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o666 & ~umask
            os.chmod(temp_name, mode)
            os.replace(temp_name, target)
            replaced = True
    finally:
        if not replaced:
            Path(temp_name).unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path, now: float | None = None) -> list[Path]:
    """Delete temporary files that interrupted writes left in folder; return them."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        candidates = [path for path in folder.iterdir() if TEMPORARY.match(path.name)]
    except OSError:
        return removed
    for path in candidates:
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime < STALE_AFTER:
                continue
            handle = os.open(path, os.O_RDONLY)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: a writer holds it
                path.unlink()
                removed.append(path)
            finally:
                os.close(handle)
    return removed
