"""A strategy file that fails to import: discovery reports it and goes on."""

from __future__ import annotations

import a_module_that_does_not_exist  # noqa: F401
