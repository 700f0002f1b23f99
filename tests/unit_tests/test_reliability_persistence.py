"""Saved keyword indexes survive a process killed mid-save, and loading runs nothing.

The kill tests drive a helper process (`_HARNESS`) that imports the package once and then,
for each kill, forks a child that builds the new index and saves it over the old one. The
child is killed with SIGKILL either from inside, just before its N-th file-system call of
the save (every N from the first call to past the last, so each step of the save is hit),
or from outside after a delay spread over the save's measured duration (which also cuts
files mid-copy). After every kill the test itself loads the directory: it must give the
old or the new index, intact, and never raise.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import IO, Any

import pytest
from langchain_core.documents import Document

from langchain_hybrid import (
    HybridRetriever,
    IndexFormatError,
    KeywordIndex,
    NumpyVectorStore,
    load_keyword_index,
    save_keyword_index,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")

ENGINES = ["tantivy", "rank_bm25", "exact"]
QUERIES = ["parser error", "cat", "document 7", "E1234", "München", "extra words"]
HOOK_KILLS = 10  # kill points per engine, spread over every file-system call of a save
TIMED_KILLS = 5  # kills from outside, spread over the save's duration

# Shared by the test and the helper process, so both build exactly the same indexes.
_BUILD = textwrap.dedent(
    '''
    from langchain_core.documents import Document
    from langchain_hybrid import create_keyword_index

    def old_documents():
        docs = [
            Document("Fix for error E1234 in the parser", metadata={"year": 2024}),
            Document("The cat sat on the mat", metadata={"year": 2021}),
            Document("Straße in München", metadata={"city": "München"}),
        ]
        docs += [Document(f"document {i} about topic {i % 5}") for i in range(30)]
        return docs, ["parser", "cat", "city"] + [f"d{i}" for i in range(30)]

    def build_old(engine):
        index = create_keyword_index(engine)
        docs, ids = old_documents()
        index.add(docs, ids)
        return index

    def build_new(engine):
        """The old index plus more documents, a replaced one and a deleted one."""
        index = build_old(engine)
        extra = [Document(f"extra words {i} parser cat document {i}") for i in range(60)]
        index.add(extra, [f"x{i}" for i in range(60)])
        index.add([Document("the cat is now a dog")], ["cat"])
        index.delete(["d7"])
        return index
    '''
)

_HARNESS = _BUILD + textwrap.dedent(
    """
    import io, os, shutil, signal, sys, time
    from langchain_hybrid import save_keyword_index

    engine, path, report = sys.argv[1], sys.argv[2], sys.argv[3]
    HOOKED = [(os, "fsync"), (os, "replace"), (os, "rename"), (os, "mkdir"), (os, "unlink"),
              (os, "rmdir"), (os, "open"), (io, "open"), (shutil, "copyfile")]

    def install_hooks(kill_at):
        calls = [0]
        for module, name in HOOKED:
            real = getattr(module, name)
            def hooked(*args, _real=real, _name=name, **kwargs):
                calls[0] += 1
                if calls[0] == kill_at or _name == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                return _real(*args, **kwargs)
            setattr(module, name, hooked)
        return calls

    def child(kill_at, ready_fd):
        index = build_new(engine)
        if ready_fd is not None:
            os.write(ready_fd, b"x")
        start = time.perf_counter()
        calls = install_hooks(kill_at)
        save_keyword_index(index, path)
        elapsed = time.perf_counter() - start
        with open(report, "w") as handle:  # hooked, but after the save: never kills
            handle.write(f"{calls[0]} {elapsed}")
        os._exit(0)

    def outcome(pid):
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            return f"signal {os.WTERMSIG(status)}"
        return f"exit {os.WEXITSTATUS(status)}"

    for line in sys.stdin:
        mode, value = line.split()
        if mode in ("hook", "at"):  # kill before the n-th call, or the first call of a name
            pid = os.fork()
            if pid == 0:
                child(int(value) if mode == "hook" else value, None)
            print(outcome(pid), flush=True)
        else:  # "timer": kill from outside `value` seconds after the save started
            read_fd, write_fd = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                child(0, write_fd)
            os.close(write_fd)
            os.read(read_fd, 1)
            os.close(read_fd)
            time.sleep(float(value))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            print(outcome(pid), flush=True)
    """
)

_namespace: dict[str, Any] = {}
exec(compile(_BUILD, "<build>", "exec"), _namespace)  # noqa: S102 - our own constant source
build_old = _namespace["build_old"]
build_new = _namespace["build_new"]


def results(index: KeywordIndex) -> list[list[tuple[str, float]]]:
    return [[(h.id, round(h.score, 4)) for h in index.search(q, k=20)] for q in QUERIES]


def child_env() -> dict[str, str]:
    # One BLAS thread: the helper forks, and a forked child must not inherit busy threads.
    return {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


class Harness:
    """The helper process: one command per line, one outcome line back."""

    def __init__(self, engine: str, path: Path, report: Path) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, our script
            [sys.executable, "-c", _HARNESS, engine, str(path), str(report)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )

    def run(self, mode: str, value: float | str) -> str:
        stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        stdin.write(f"{mode} {value}\n")
        stdin.flush()
        line = stdout.readline().strip()
        assert line, f"the helper process died (exit {self.process.poll()})"
        return line

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


def spread(count: int, last: int) -> list[int]:
    """`count` integers from 1 to `last`, evenly spread, both ends included."""
    return sorted({1 + round(i * (last - 1) / (count - 1)) for i in range(count)})


class KillCampaign:
    """What the kills of one engine left behind, for the tests below to check."""

    def __init__(self) -> None:
        self.total_calls = 0
        self.outcomes: list[tuple[str, float | str, str]] = []  # mode, value, process outcome
        self.loads: list[str] = []  # "old", "new", or the repr of what load raised
        self.leftovers: list[str] = []  # names in the directory after a final save
        self.final_results: list[list[tuple[str, float]]] = []


def run_kill_campaign(engine: str, root: Path) -> KillCampaign:
    path, report = root / "index", root / "report.txt"
    old, new = results(build_old(engine)), results(build_new(engine))
    campaign = KillCampaign()
    save_keyword_index(build_old(engine), path)
    harness = Harness(engine, path, report)
    try:
        # One complete save first: how many hooked calls it makes and how long it takes.
        assert harness.run("hook", 0) == "exit 0"
        total_calls, duration = report.read_text().split()
        campaign.total_calls = int(total_calls)
        save_keyword_index(build_old(engine), path)
        plan: list[tuple[str, float | str]] = [
            ("hook", n) for n in spread(HOOK_KILLS, campaign.total_calls + 1)
        ]
        # Just before the manifest is replaced: the new data and a temporary manifest exist.
        plan.append(("at", "replace"))
        plan += [("timer", float(duration) * i / (TIMED_KILLS - 1)) for i in range(TIMED_KILLS)]
        for mode, value in plan:
            campaign.outcomes.append((mode, value, harness.run(mode, value)))
            try:
                loaded = results(load_keyword_index(path))
            except Exception as exc:  # noqa: BLE001 - recorded for the assertions
                campaign.loads.append(repr(exc))
                save_keyword_index(build_old(engine), path)
                continue
            state = "old" if loaded == old else "new" if loaded == new else repr(loaded)
            campaign.loads.append(state)
            if state == "new":
                save_keyword_index(build_old(engine), path)  # next kill starts from old again
    finally:
        harness.close()
    # The leftovers of killed saves must not get in the way of the next save.
    save_keyword_index(build_new(engine), path)
    campaign.final_results = results(load_keyword_index(path))
    campaign.leftovers = sorted(p.name for p in path.iterdir())
    return campaign


@pytest.fixture(scope="module", params=ENGINES)
def campaign(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, KillCampaign]:
    engine = str(request.param)
    return engine, run_kill_campaign(engine, tmp_path_factory.mktemp(f"kill-{engine}"))


def test_kill_during_save_leaves_old_or_new_index(campaign: tuple[str, KillCampaign]) -> None:
    engine, result = campaign
    assert results(build_old(engine)) != results(build_new(engine))  # they can be told apart
    assert result.total_calls >= 8  # mkdir, copies or writes, fsyncs, rename, replace, rmtree
    assert len(result.outcomes) == len(result.loads) == HOOK_KILLS + 1 + TIMED_KILLS
    killed = f"signal {signal.SIGKILL.value}"
    for (mode, value, outcome), load in zip(result.outcomes, result.loads, strict=True):
        if mode == "hook":  # killed before the n-th call; past the last call it completes
            assert isinstance(value, int)
            assert outcome == ("exit 0" if value > result.total_calls else killed), value
        if mode == "at":  # killed just before os.replace of the manifest: still the old one
            assert (outcome, load) == (killed, "old")
    # Every load succeeded and gave one of the two indexes, never a mix or an error.
    assert set(result.loads) <= {"old", "new"}, result.loads
    # Kills before the manifest is replaced keep the old index, later ones give the new.
    assert "old" in result.loads
    assert "new" in result.loads
    assert result.final_results == results(build_new(engine))


def test_next_save_cleans_up_after_killed_saves(campaign: tuple[str, KillCampaign]) -> None:
    _, result = campaign
    data_dirs = [name for name in result.leftovers if name.startswith("data-")]
    assert len(data_dirs) == 1
    # Killed saves leave staging dirs and temporary manifests; the next save removes them.
    assert sorted(set(result.leftovers) - set(data_dirs)) == ["manifest.json"]


# ------------------------------------------------------------------------ damaged files


def manifest_of(path: Path) -> dict[str, Any]:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    (path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def data_dir(path: Path) -> Path:
    return path / manifest_of(path)["data_dir"]


def rehash(path: Path) -> None:
    """Make the manifest's checksums match the files again: damage the checksum misses."""
    manifest = manifest_of(path)
    folder = path / manifest["data_dir"]
    manifest["files"] = {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in manifest["files"]
    }
    write_manifest(path, manifest)


@pytest.mark.parametrize("engine", ENGINES)
def test_missing_data_directory(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build_old(engine), tmp_path)
    shutil.rmtree(data_dir(tmp_path))
    with pytest.raises(IndexFormatError, match="missing"):
        load_keyword_index(tmp_path)


@pytest.mark.parametrize("engine", ENGINES)
def test_truncated_files_behind_matching_checksums(engine: str, tmp_path: Path) -> None:
    # Checksums catch accidental damage; a file cut and re-hashed reaches the engine,
    # which must still fail with IndexFormatError, not a crash or a Rust panic.
    save_keyword_index(build_old(engine), tmp_path)
    folder = data_dir(tmp_path)
    for file in folder.iterdir():
        content = file.read_bytes()
        file.write_bytes(content[: len(content) // 2])
    rehash(tmp_path)
    with pytest.raises(IndexFormatError, match="could not be read"):
        load_keyword_index(tmp_path)


def test_truncated_tantivy_segment_file(tmp_path: Path) -> None:
    save_keyword_index(build_old("tantivy"), tmp_path)
    folder = data_dir(tmp_path)
    segment = max(
        (f for f in folder.iterdir() if f.suffix in {".idx", ".store", ".term"}),
        key=lambda f: f.stat().st_size,
    )
    segment.write_bytes(segment.read_bytes()[:10])
    with pytest.raises(IndexFormatError, match=f"checksum mismatch for {segment.name}"):
        load_keyword_index(tmp_path)
    rehash(tmp_path)
    with pytest.raises(IndexFormatError, match="could not be read"):
        load_keyword_index(tmp_path)


def test_state_of_the_wrong_shape(tmp_path: Path) -> None:
    save_keyword_index(build_old("tantivy"), tmp_path)
    manifest = manifest_of(tmp_path)
    for state in ({}, {"ids": 5}, {"ids": [[1]]}, {"ids": [["x", "y"]]}):
        write_manifest(tmp_path, {**manifest, "state": state})
        with pytest.raises(IndexFormatError):
            load_keyword_index(tmp_path)


def test_rank_bm25_lines_that_are_not_documents(tmp_path: Path) -> None:
    save_keyword_index(build_old("rank_bm25"), tmp_path)
    for bad in ('{"id": "a"}\n', "[1, 2]\n", "not json\n"):
        (data_dir(tmp_path) / "documents.jsonl").write_text(bad, encoding="utf-8")
        rehash(tmp_path)
        with pytest.raises(IndexFormatError, match="could not be read"):
            load_keyword_index(tmp_path)


@pytest.mark.parametrize("engine", ENGINES)
def test_loading_never_imports_or_runs_files(engine: str, tmp_path: Path) -> None:
    save_keyword_index(build_old(engine), tmp_path)
    marker = tmp_path.parent / f"{tmp_path.name}-executed"
    payload = f"open({str(marker)!r}, 'w').close()\n"
    folder = data_dir(tmp_path)
    # A Python file listed in the manifest (checksum and all), a .pth file and a module
    # named like one the engine imports: none of them may run.
    names = ["evil.py", "evil.pth", "tantivy.py", "__init__.py"]
    for name in names:
        (folder / name).write_text(payload, encoding="utf-8")
    manifest = manifest_of(tmp_path)
    manifest["files"].update({name: hashlib.sha256(payload.encode()).hexdigest() for name in names})
    write_manifest(tmp_path, manifest)
    modules_before = set(sys.modules)

    loaded = load_keyword_index(tmp_path)

    assert results(loaded) == results(build_old(engine))
    assert not marker.exists()
    assert not {m for m in set(sys.modules) - modules_before if m.startswith(("evil", "tantivy"))}


# ------------------------------------------------------------------------ fresh process

_RELOAD = textwrap.dedent(
    """
    import json, sys
    from langchain_core.embeddings import DeterministicFakeEmbedding
    from langchain_hybrid import HybridRetriever, NumpyVectorStore, load_keyword_index

    path, queries = sys.argv[1], json.loads(sys.argv[2])
    index = load_keyword_index(path)
    # The store is the source of truth: it must hold the documents the index was saved with.
    store = NumpyVectorStore(DeterministicFakeEmbedding(size=8))
    store.add_documents(index.get(index.ids()))
    retriever = HybridRetriever.from_vectorstore(store, keyword_index=index, alpha=0.0, k=50)
    out = {
        "ids": sorted(d.id for d in index.get([f"{p}{i}" for p in "dx" for i in range(60)])),
        "count": len(index),
        "results": [
            [[d.id, d.page_content, d.metadata] for d in retriever.invoke(q)] for q in queries
        ],
    }
    print(json.dumps(out))
    """
)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("engine", ENGINES)
def test_fresh_process_sees_the_same_index(engine: str, tmp_path: Path) -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding  # noqa: PLC0415

    docs = [Document(f"document {i} parser cat", metadata={"n": i}) for i in range(40)]
    retriever = HybridRetriever.from_documents(
        docs,
        DeterministicFakeEmbedding(size=8),
        ids=[f"d{i}" for i in range(40)],
        keyword_engine=engine,
        alpha=0.0,
        k=50,
    )
    retriever.add_documents(
        [Document(f"extra words {i} parser", metadata={"x": [i, "a"]}) for i in range(10)],
        ids=[f"x{i}" for i in range(10)],
    )
    retriever.add_documents([Document("the cat is now a dog", metadata={"n": 3})], ids=["d3"])
    retriever.delete(["d5", "x2", "unknown"])
    retriever.save_keyword_index(tmp_path)

    completed = subprocess.run(  # noqa: S603 - our interpreter, our script
        [sys.executable, "-c", _RELOAD, str(tmp_path), json.dumps(QUERIES)],
        capture_output=True,
        text=True,
        check=True,
        timeout=50,
        env=child_env(),
    )
    seen = json.loads(completed.stdout)

    expected_ids = sorted(
        {f"d{i}" for i in range(40)} - {"d5"} | {f"x{i}" for i in range(10)} - {"x2"}
    )
    assert seen["ids"] == expected_ids
    assert seen["count"] == len(expected_ids)
    here = [[[d.id, d.page_content, d.metadata] for d in retriever.invoke(q)] for q in QUERIES]
    assert seen["results"] == here
    assert any(seen["results"])  # the queries do find documents
    assert isinstance(retriever.backend.vectorstore, NumpyVectorStore)
