"""What every benchmark of ours does with its numbers: a marked section of a docs page."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
BENCHMARKS_PAGE: Final = ROOT / "docs" / "benchmarks.md"


def provenance() -> dict[str, str]:
    """Commit, date, machine and its load, recorded with every result."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    one, five, fifteen = os.getloadavg()
    return {
        "commit": commit,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        # The load says how much the other jobs on a shared machine took from the run.
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, load average {one:.1f} / {five:.1f} / "
            f"{fifteen:.1f} (1 / 5 / 15 min) at the end"
        ),
    }


def write_section(name: str, section: str, path: Path = BENCHMARKS_PAGE) -> None:
    """Replace the text between `<!-- name:start -->` and `<!-- name:end -->` in `path`.

    `section` is the new text without the markers; the first time, it is appended.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    marked = f"{start}\n{section.strip()}\n{end}"
    current = path.read_text(encoding="utf-8")
    if start in current and end in current:
        head, rest = current.split(start, 1)
        current = head + marked + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + marked + "\n"
    path.write_text(current, encoding="utf-8")
