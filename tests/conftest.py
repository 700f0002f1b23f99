"""Shared by every test directory: `tests/` itself is importable.

tests/ is not a package; its stdlib-only helpers (the Weaviate server harness, the
concurrency ledger) are imported by name from unit and integration tests alike.
"""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)
