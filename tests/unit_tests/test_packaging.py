"""The wheel users install: every file of the package, the CLI, and the demo's corpus.

An editable install reads files from the checkout, so the rest of the suite cannot see a
data file the wheel leaves out; this test builds the wheel (hatchling, no network) and
runs the demo's corpus loader from it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from hatchling.builders.wheel import WheelBuilder

from langchain_hybrid.demo import load_corpus

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "langchain_hybrid"


def build_wheel(directory: Path) -> Path:
    return Path(next(iter(WheelBuilder(str(ROOT)).build(directory=str(directory)))))


def test_wheel_ships_the_package_and_runs_the_demo_corpus_from_it(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "langchain-hybrid = langchain_hybrid.cli:main" in archive.read(entry_points).decode()
        archive.extractall(tmp_path / "site")

    package_files = {
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert {"langchain_hybrid/py.typed", "langchain_hybrid/demo/data/corpus.jsonl"} <= names
    assert package_files - names == set()

    # PYTHONPATH comes before the editable install's path, so this imports the wheel's copy.
    probe = (
        "import langchain_hybrid.demo.corpus as c; "
        "print(c.__file__); print(len(c.load_corpus())); print(len(c.license_text()) > 0)"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    module_file, n_documents, has_licence = result.stdout.split()
    assert Path(module_file).is_relative_to(tmp_path / "site")
    assert int(n_documents) == len(load_corpus())  # the checkout's copy, loaded here
    assert has_licence == "True"
