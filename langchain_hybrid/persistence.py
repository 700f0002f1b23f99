"""Saving and loading a keyword index: plain files, versioned, checksummed, atomic.

On-disk layout of a saved index directory (format version 1):

```
<path>/
  manifest.json        {"format", "format_version", "engine", "analyzer", "data_dir",
                        "state", "files": {name: sha256},
                        "contents": {"count", "fingerprint"}}
  data-<uuid>/         the engine's files (tantivy segments, or documents.jsonl)
```

Nothing is ever unpickled: the manifest and state are JSON, tantivy's files are read by
tantivy. A save writes a new `data-<uuid>/` next to the current one, then atomically
replaces `manifest.json` (`os.replace`) to point at it, and only then removes the old data
directory. A process killed at any moment therefore leaves either the old or the new
index loadable, never a mix. Loading checks the format, the version and every file's
SHA-256 before the engine reads anything, and raises `IndexFormatError` otherwise.

`contents` records what the index was built from (`sync.Contents`: the document count and
a fingerprint of the ids, texts and metadata), so that loading it over a vector store that
changed since the save is detected (`saved_contents`, used by `HybridVectorStore`).
Manifests written before it existed load as before; they just cannot be checked quickly.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, Final

from langchain_hybrid.analysis import Analyzer
from langchain_hybrid.errors import ConfigError, IndexFormatError
from langchain_hybrid.keyword_index import ENGINES, KeywordIndex, SavableKeywordIndex
from langchain_hybrid.sync import Contents, index_contents

__all__ = ["FORMAT_VERSION", "load_keyword_index", "save_keyword_index", "saved_contents"]

FORMAT_NAME: Final = "langchain-hybrid-keyword-index"
FORMAT_VERSION: Final = 1
_MANIFEST: Final = "manifest.json"


def save_keyword_index(index: KeywordIndex, path: str | Path) -> None:
    """Save `index` to the directory `path` (created if missing), atomically.

    Example:
        ```python
        save_keyword_index(retriever.backend.keyword, "my-index")
        index = load_keyword_index("my-index")
        ```
    """
    engine = index.engine_name if isinstance(index, SavableKeywordIndex) else None
    if engine not in ENGINES or not isinstance(index, ENGINES[engine]):
        msg = f"cannot save a {type(index).__name__}: only {sorted(ENGINES)} engines can be saved"
        raise ConfigError(msg)
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    data_dir = f"data-{uuid.uuid4().hex}"
    staging = root / f".tmp-{data_dir}"
    staging.mkdir()
    try:
        state = index.export_files(staging)
        files = {item.name: _sha256(item) for item in sorted(staging.iterdir()) if item.is_file()}
        for item in staging.iterdir():
            _fsync_file(item)
        _fsync_dir(staging)
        staging.rename(root / data_dir)
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "engine": engine,
            "analyzer": index.analyzer.to_config(),
            "data_dir": data_dir,
            "state": state,
            "files": files,
            "contents": index_contents(index).to_json(),
        }
        _write_atomically(root / _MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for old in root.iterdir():
        if old.is_dir() and old.name != data_dir and old.name.startswith(("data-", ".tmp-data-")):
            shutil.rmtree(old, ignore_errors=True)
        elif old.is_file() and old.name.startswith(f".{_MANIFEST}.") and old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)  # the temporary manifest of a killed save


def load_keyword_index(path: str | Path, *, analyzer: Analyzer | None = None) -> KeywordIndex:
    """Load an index saved by `save_keyword_index` into a private working copy.

    Args:
        path: the directory given to `save_keyword_index`.
        analyzer: required only if the index was built with a custom tokenizer (a
            function cannot be saved); otherwise it is rebuilt from the manifest and, if
            given, must match it.

    Raises:
        IndexFormatError: missing, truncated, tampered with, or saved by a newer version.
    """
    root = Path(path)
    manifest = _read_manifest(root)
    data = root / manifest["data_dir"]
    for name, digest in manifest["files"].items():
        file = data / name
        if not file.is_file():
            msg = f"{root}: file {name} listed in manifest.json is missing; restore the directory"
            raise IndexFormatError(msg)
        if _sha256(file) != digest:
            msg = f"{root}: checksum mismatch for {name}: the file was modified or truncated"
            raise IndexFormatError(msg)
    resolved = _resolve_analyzer(manifest["analyzer"], analyzer, root)
    engine = ENGINES[manifest["engine"]]
    try:
        return engine.import_files(data, manifest["state"], resolved)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        msg = f"{root}: the saved {manifest['engine']} index could not be read: {exc}"
        raise IndexFormatError(msg) from exc


def saved_contents(path: str | Path) -> Contents | None:
    """What a saved index was built from, or `None` if its manifest predates the record.

    Example:
        ```python
        save_keyword_index(index, "my-index")
        saved_contents("my-index")  # Contents(count=1500, fingerprint='3f...')
        ```
    """
    root = Path(path)
    recorded = _read_manifest(root).get("contents")
    if recorded is None:
        return None
    count, fingerprint = (
        (recorded.get("count"), recorded.get("fingerprint"))
        if isinstance(recorded, dict)
        else (None, None)
    )
    if isinstance(count, bool) or not isinstance(count, int) or not isinstance(fingerprint, str):
        msg = f"{root / _MANIFEST}: field 'contents' must be {{'count': int, 'fingerprint': str}}"
        raise IndexFormatError(msg)
    return Contents(count, fingerprint)


def _read_manifest(root: Path) -> dict[str, Any]:
    file = root / _MANIFEST
    if not file.is_file():
        msg = f"{root} is not a saved keyword index (no {_MANIFEST}); see save_keyword_index"
        raise IndexFormatError(msg)
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = f"{file} is not valid JSON (truncated or corrupted): {exc}"
        raise IndexFormatError(msg) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        msg = f"{file} is not a langchain-hybrid keyword index manifest"
        raise IndexFormatError(msg)
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 1:
        msg = (
            f"{file} has format version {version!r}; this langchain-hybrid reads versions up to "
            f"{FORMAT_VERSION}. Upgrade langchain-hybrid to load it."
        )
        raise IndexFormatError(msg)
    required = {"engine": str, "analyzer": dict, "data_dir": str, "state": dict, "files": dict}
    for key, kind in required.items():
        if not isinstance(manifest.get(key), kind):
            msg = f"{file}: field {key!r} is missing or not a {kind.__name__}"
            raise IndexFormatError(msg)
    if manifest["engine"] not in ENGINES:
        msg = f"{file}: unknown engine {manifest['engine']!r}; known: {sorted(ENGINES)}"
        raise IndexFormatError(msg)
    data_dir = manifest["data_dir"]
    if Path(data_dir).name != data_dir or not data_dir.startswith("data-"):
        msg = f"{file}: data_dir {data_dir!r} must be a directory name inside the index"
        raise IndexFormatError(msg)
    if any(Path(name).name != name for name in manifest["files"]):
        msg = f"{file}: file names must not contain path separators"
        raise IndexFormatError(msg)
    return manifest


def _resolve_analyzer(saved: dict[str, Any], given: Analyzer | None, root: Path) -> Analyzer:
    default = Analyzer()
    rebuilt = Analyzer(
        stopwords=frozenset(saved.get("stopwords", [])), stemmer=saved.get("stemmer")
    )
    custom_tokenizer = saved.get("tokenizer") != default.to_config()["tokenizer"]
    if given is None:
        if custom_tokenizer:
            msg = (
                f"{root} was built with the custom tokenizer {saved.get('tokenizer')!r}; "
                "pass the same analyzer=Analyzer(tokenizer=...) to load it"
            )
            raise ConfigError(msg)
        return rebuilt
    if given.to_config() != saved:
        msg = (
            f"{root} was built with analyzer {saved}, but analyzer {given.to_config()} was "
            "given: the index's tokens would not match the queries"
        )
        raise ConfigError(msg)
    return given


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync_file(file: Path) -> None:
    with file.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(file: Path, text: str) -> None:
    temporary = file.with_name(f".{file.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(file)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(file.parent)
