"""Atomic file writes: a temporary file in the target's folder, fsync, then rename over it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomically(target: Path, text: str) -> None:
    """Replace target with text so that readers see the old file or the new one, never a part.

    An existing file keeps its permissions; a new one gets the usual ones (0666 less the umask).
    Raises OSError (the old file, if any, is then untouched and no temporary file is left).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else None
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    replaced = False
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
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
