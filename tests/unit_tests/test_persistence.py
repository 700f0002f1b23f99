"""Saving and loading keyword indexes: round trips, load errors, atomicity."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain_core.documents import Document

from langchain_hybrid import (
    Analyzer,
    ConfigError,
    IndexFormatError,
    KeywordIndex,
    create_keyword_index,
    load_keyword_index,
    save_keyword_index,
)
from langchain_hybrid.persistence import FORMAT_VERSION

# FIXTURES =============================================================================

ENGINES = ["tantivy", "rank_bm25", "exact"]
TEXTS = {
    "parser": ("Fix for error E1234 in the parser", {"year": 2024, "tags": ["bug"]}),
    "cat": ("The cat sat on the mat", {"year": 2021}),
    "debug": ("Parsing failures and how to debug the parser", {"year": 2023}),
    "e1234": ("E1234 E1234 error", {}),
    "unicode": ("Straße in München 東京 🎉", {"city": "München"}),
}
QUERIES = ["parser", "error E1234", "cat mat", "münchen 東京", "the parser failures"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def build(engine: str, analyzer: Analyzer | None = None) -> KeywordIndex:
    index = create_keyword_index(engine, analyzer)
    index.add(
        [Document(text, metadata=meta) for text, meta in TEXTS.values()],
        list(TEXTS),
    )
    return index


def results(index: KeywordIndex) -> list[list[tuple[str, float]]]:
    return [[(hit.id, hit.score) for hit in index.search(q, k=10)] for q in QUERIES]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(root: Path, data: dict[str, Any]) -> None:
    (root / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


def data_dirs(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir()]


# TESTS: round trip ====================================================================


def test_round_trip_gives_the_same_results(engine: str, tmp_path: Path) -> None:
    index = build(engine)
    save_keyword_index(index, tmp_path / "idx")
    loaded = load_keyword_index(tmp_path / "idx")
    assert type(loaded) is type(index)
    assert len(loaded) == len(index)
    assert results(loaded) == results(index)
    assert all(hits for hits in results(loaded))
    assert loaded.get(list(TEXTS)) == index.get(list(TEXTS))


def test_round_trip_after_updates(engine: str, tmp_path: Path) -> None:
    index = build(engine)
    index.delete(["cat"])
    index.add([Document("a new parser document")], ["new"])
    index.add([Document("replaced text about snow")], ["debug"])
    save_keyword_index(index, tmp_path)
    loaded = load_keyword_index(tmp_path)
    assert sorted(loaded.get([*TEXTS, "new"]), key=lambda d: str(d.id)) == sorted(
        index.get([*TEXTS, "new"]), key=lambda d: str(d.id)
    )
    assert "cat" not in loaded
    assert results(loaded) == results(index)
    assert [hit.id for hit in loaded.search("snow", k=5)] == ["debug"]


def test_loaded_index_stays_writable(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    loaded = load_keyword_index(tmp_path)
    loaded.add([Document("zeppelin parser")], ["z"])
    assert loaded.delete(["parser"]) == 1
    assert {hit.id for hit in loaded.search("parser", k=10)} == {"z", "debug"}
    # Re-adding an id that existed in the saved copy replaces it.
    loaded.add([Document("xylophone")], ["cat"])
    assert [hit.id for hit in loaded.search("xylophone mat", k=10)] == ["cat"]


def test_round_trip_keeps_the_analyzer(engine: str, tmp_path: Path) -> None:
    index = build(engine, Analyzer.english())
    save_keyword_index(index, tmp_path)
    loaded = load_keyword_index(tmp_path)
    assert loaded.analyzer == Analyzer.english()
    assert [hit.id for hit in loaded.search("parsing", k=5)] == [
        hit.id for hit in index.search("parsing", k=5)
    ]


def test_rank_bm25_options_survive(tmp_path: Path) -> None:
    index = create_keyword_index("rank_bm25", variant="bm25plus", k1=1.1, b=0.6, delta=0.7)
    index.add([Document("parser one"), Document("cat two")], ["a", "b"])
    save_keyword_index(index, tmp_path)
    loaded = load_keyword_index(tmp_path)
    assert loaded.variant == "bm25plus"  # type: ignore[attr-defined]
    assert loaded.params == {"k1": 1.1, "b": 0.6, "delta": 0.7}  # type: ignore[attr-defined]
    assert loaded.search("parser", k=5) == index.search("parser", k=5)


def test_custom_tokenizer_must_be_given_again(engine: str, tmp_path: Path) -> None:
    analyzer = Analyzer(tokenizer=str.split, stopwords=frozenset())
    save_keyword_index(build(engine, analyzer), tmp_path)
    with pytest.raises(ConfigError, match=r"custom tokenizer 'str\.split'"):
        load_keyword_index(tmp_path)
    with pytest.raises(ConfigError, match="tokens would not match"):
        load_keyword_index(tmp_path, analyzer=Analyzer())
    loaded = load_keyword_index(tmp_path, analyzer=analyzer)
    assert [hit.id for hit in loaded.search("E1234", k=5)] == ["e1234", "parser"]


def test_save_refuses_unknown_index_types(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot save a dict"):
        save_keyword_index({}, tmp_path)  # type: ignore[arg-type]


# TESTS: load errors ===================================================================


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(
        IndexFormatError, match=r"is not a saved keyword index \(no manifest.json\)"
    ):
        load_keyword_index(tmp_path / "nothing-here")


def test_directory_without_manifest(tmp_path: Path) -> None:
    (tmp_path / "data-x").mkdir()
    with pytest.raises(IndexFormatError, match=r"no manifest\.json"):
        load_keyword_index(tmp_path)


def test_truncated_manifest(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    text = (tmp_path / "manifest.json").read_bytes()
    (tmp_path / "manifest.json").write_bytes(text[: len(text) // 2])
    with pytest.raises(IndexFormatError, match="is not valid JSON"):
        load_keyword_index(tmp_path)


def test_tampered_data_file(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = tmp_path / manifest(tmp_path)["data_dir"]
    victim = max((p for p in data.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    content = bytearray(victim.read_bytes())
    content[len(content) // 2] ^= 0xFF
    victim.write_bytes(bytes(content))
    with pytest.raises(IndexFormatError, match=f"checksum mismatch for {victim.name}"):
        load_keyword_index(tmp_path)


def test_truncated_data_file(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = tmp_path / manifest(tmp_path)["data_dir"]
    victim = max((p for p in data.iterdir() if p.is_file()), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:10])
    with pytest.raises(IndexFormatError, match="checksum mismatch"):
        load_keyword_index(tmp_path)


def test_missing_data_file(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = tmp_path / manifest(tmp_path)["data_dir"]
    victim = next(p for p in data.iterdir() if p.is_file())
    victim.unlink()
    with pytest.raises(IndexFormatError, match=f"file {victim.name} listed in manifest.json"):
        load_keyword_index(tmp_path)


def test_future_format_version(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = manifest(tmp_path)
    data["format_version"] = FORMAT_VERSION + 1
    write_manifest(tmp_path, data)
    with pytest.raises(
        IndexFormatError,
        match=rf"format version {FORMAT_VERSION + 1}; this langchain-hybrid reads versions "
        rf"up to {FORMAT_VERSION}",
    ):
        load_keyword_index(tmp_path)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("format", "something-else", "is not a langchain-hybrid keyword index manifest"),
        ("format_version", "1", "format version '1'"),
        ("format_version", 0, "format version 0"),
        ("engine", "bm25s", "unknown engine 'bm25s'"),
        ("files", [], "field 'files' is missing or not a dict"),
        ("state", None, "field 'state' is missing or not a dict"),
    ],
)
def test_bad_manifest_fields(
    engine: str, tmp_path: Path, field: str, value: object, message: str
) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = manifest(tmp_path)
    data[field] = value
    write_manifest(tmp_path, data)
    with pytest.raises(IndexFormatError, match=message):
        load_keyword_index(tmp_path)


@pytest.mark.parametrize(
    "data_dir", ["../outside", "data-x/../../outside", "/etc", "data-../../etc", "outside"]
)
def test_path_traversal_in_data_dir(engine: str, tmp_path: Path, data_dir: str) -> None:
    root = tmp_path / "idx"
    save_keyword_index(build(engine), root)
    data = manifest(root)
    # Real index files outside the directory: loading must not read them although they exist.
    shutil.copytree(root / data["data_dir"], tmp_path / "outside")
    data["data_dir"] = data_dir
    write_manifest(root, data)
    with pytest.raises(IndexFormatError, match=r"data_dir .* must be a directory name inside"):
        load_keyword_index(root)


def test_path_traversal_in_file_names(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = manifest(tmp_path)
    data["files"]["../manifest.json"] = "0" * 64
    write_manifest(tmp_path, data)
    with pytest.raises(IndexFormatError, match="file names must not contain path separators"):
        load_keyword_index(tmp_path)


# TESTS: atomicity =====================================================================


def test_layout_after_save(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    data = manifest(tmp_path)
    assert data["format_version"] == FORMAT_VERSION
    assert data["engine"] == engine
    assert [p.name for p in data_dirs(tmp_path)] == [data["data_dir"]]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["manifest.json"]
    saved = {p.name for p in (tmp_path / data["data_dir"]).iterdir()}
    assert set(data["files"]) == saved


def test_only_one_data_dir_remains_after_saves(engine: str, tmp_path: Path) -> None:
    index = build(engine)
    save_keyword_index(index, tmp_path)
    first = manifest(tmp_path)["data_dir"]
    index.add([Document("another parser")], ["another"])
    save_keyword_index(index, tmp_path)
    save_keyword_index(index, tmp_path)
    current = manifest(tmp_path)["data_dir"]
    assert current != first
    assert [p.name for p in data_dirs(tmp_path)] == [current]
    assert not list(tmp_path.glob(".*tmp*"))
    assert "another" in load_keyword_index(tmp_path)


def test_leftover_staging_dirs_are_cleaned(engine: str, tmp_path: Path) -> None:
    # What a save killed half-way leaves behind: a staging dir and an orphan data dir.
    (tmp_path / ".tmp-data-dead").mkdir(parents=True)
    (tmp_path / "data-orphan").mkdir()
    (tmp_path / "data-orphan" / "junk").write_text("x")
    save_keyword_index(build(engine), tmp_path)
    assert [p.name for p in data_dirs(tmp_path)] == [manifest(tmp_path)["data_dir"]]


def test_loading_never_mutates_the_saved_copy(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    before = tree_digest(tmp_path)
    loaded = load_keyword_index(tmp_path)
    loaded.add([Document("written after load")], ["after"])
    loaded.delete(["parser", "cat"])
    loaded.search("parser", k=5)
    again = load_keyword_index(tmp_path)
    del loaded
    assert tree_digest(tmp_path) == before
    assert "parser" in again
    assert "after" not in again


def test_two_loads_are_independent(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build(engine), tmp_path)
    first, second = load_keyword_index(tmp_path), load_keyword_index(tmp_path)
    first.delete(["parser"])
    assert "parser" in second
    assert [hit.id for hit in second.search("E1234", k=5)] == ["e1234", "parser"]


def test_save_failure_keeps_the_previous_index(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = build(engine)
    save_keyword_index(index, tmp_path)
    before = tree_digest(tmp_path)

    def broken(_destination: Path) -> dict[str, Any]:
        msg = "disk full"
        raise OSError(msg)

    index.add([Document("unsaved")], ["unsaved"])
    monkeypatch.setattr(index, "export_files", broken)
    with pytest.raises(OSError, match="disk full"):
        save_keyword_index(index, tmp_path)
    assert tree_digest(tmp_path) == before
    assert "unsaved" not in load_keyword_index(tmp_path)
