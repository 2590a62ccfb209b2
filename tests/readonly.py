"""A folder nothing can be written into, for tests of "not writable" errors, even as root.

chmod 0555 is enough for a normal user; root ignores modes, so there the folder is also made
immutable (chattr +i, where the file system allows it); failing both, /sys, where no process
may create files, stands in for it.
"""

from __future__ import annotations

import contextlib
import os
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


def is_root() -> bool:
    return os.geteuid() == 0
