"""Whether this test run is CI (stdlib only, imported by the conftest files)."""

from __future__ import annotations

import os


def in_ci() -> bool:
    """Whether this run is CI: ``CI`` set to anything but empty, ``false`` or ``0``."""
    return os.environ.get("CI", "").strip().lower() not in {"", "false", "0", "no", "off"}
