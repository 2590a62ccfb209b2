"""A folder nothing can be written into, for tests of "not writable" errors, even as root.

chmod 0555 is enough for a normal user; root ignores modes, so there the folder is also made
immutable (chattr +i, where the file system allows it); failing both, /sys, where no process
may create files, stands in for it.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


@contextlib.contextmanager
def read_only_folder(folder: Path) -> Iterator[Path]:
    """`folder` (created) made unwritable for the block; the place to use is yielded."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o555)
    immutable = False
    if _writable(folder) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        yield folder if not _writable(folder) else Path("/sys")
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o755)


def unreadable_file(path: Path, text: str) -> Path:
    """`path` with `text`, made unreadable (chmod 000); root reads any file, so there a file the
    kernel refuses to read even to root stands in for it (/proc/sys/vm/drop_caches, write-only)."""
    path.write_text(text)
    path.chmod(0)
    try:
        path.read_bytes()
    except PermissionError:
        return path
    return Path("/proc/sys/vm/drop_caches")
