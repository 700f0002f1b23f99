"""docs/benchmarks.md must say what bench/results/quality.json holds.

The quality section is written by bench/quality.py from its JSON; editing either by hand
(or rerunning one without the other) fails here. The table's every cell is compared with
the JSON, as the benchmark formats it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "benchmarks.md"
QUALITY = ROOT / "bench" / "results" / "quality.json"


def quality_section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text.split("<!-- quality:start -->", 1)[1].split("<!-- quality:end -->", 1)[0]


def table_rows(section: str) -> list[list[str]]:
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def label(system: str) -> str:
    if "chosen by cross-validation (" in system:
        return system.split(" (", 1)[0]
    return system


def test_quality_table_matches_its_json() -> None:
    saved = json.loads(QUALITY.read_text(encoding="utf-8"))
    datasets = saved["datasets"]
    rows = table_rows(quality_section())
    assert len(rows) == len(datasets[0]["rows"])
    for index, cells in enumerate(rows):
        assert cells[0].strip("*") == label(datasets[0]["rows"][index]["system"])
        expected = []
        for dataset in datasets:
            scores = dataset["rows"][index]["scores"]
            expected += [f"{scores['ndcg@10']:.4f}", f"{scores['recall@100']:.3f}"]
        assert cells[1:] == expected, cells[0]


def test_quality_text_numbers_match_its_json() -> None:
    saved = json.loads(QUALITY.read_text(encoding="utf-8"))
    section = quality_section()
    assert f"Run on commit `{saved['commit']}`" in section
    for dataset in saved["datasets"]:
        cv = dataset["cross_validation"]
        assert f"{cv['mean']:.4f} +- {cv['spread']:.4f}" in section
        peers = [row for row in dataset["rows"] if row["group"] == "peer"]
        best = max(peers, key=lambda row: row["scores"]["ndcg@10"])
        comparison = dataset["paired"][best["system"]]
        assert f"[{comparison['low']:+.4f}, {comparison['high']:+.4f}]" in section
        for fitted in dataset["per_query"].values():
            assert f"model {fitted['test_scores']['model']:.4f}" in section


def test_no_stale_quality_numbers_elsewhere() -> None:
    # The old "ranked, alpha 0.5" SciFact value contradicted the parity section.
    for path in (PAGE, ROOT / "docs" / "migration" / "ensemble.md"):
        assert not re.search(r"\b0\.685\b", path.read_text(encoding="utf-8")), path
