"""Every Python example in README.md and docs/ runs, so the documentation cannot rot.

Each page's fenced ```python (and ```pycon) blocks are run in order, in one namespace
per page, as a reader would paste them into one script:

- a block whose first line starts with `>>> ` (or a ```pycon block) is a doctest: its
  shown outputs are compared;
- any other block is executed (top-level `await` is allowed); `assert`s in it check the
  numbers the prose quotes;
- a line `--8<-- "path"` (or `"path:section"`) inside a block includes that file, as the
  MkDocs `snippets` extension does when it renders the page (`ruff format` also formats
  Markdown code blocks: wrap such a block in `<!-- fmt: off -->` / `<!-- fmt: on -->`);
- an HTML comment `<!-- docs-test: skip REASON -->` right before a block leaves it out;
  `test_skips_are_few_and_explained` keeps those rare and explained.

Pages run in a fresh temporary directory that holds links to the repository's `tests/`
and `examples/`, so examples read `tests/data/...` and write wherever they like.

A page that calls `weaviate.connect_to_local()` (or `use_async_with_local()`) runs
against the test session's real Weaviate server (`weaviate_server` fixture): those two
functions are pointed at it, whatever host and ports it has. Collections a page creates
are deleted after it.
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import inspect
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from collections.abc import Iterator

    from conftest import WeaviateHandle

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
PAGES = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]
EXAMPLES = sorted((REPO / "examples").glob("*.py"))

MAX_SKIPPED_BLOCKS = 3
"""Blocks that cannot run at all (e.g. code for a removed API): keep it rare."""

_FENCE = re.compile(r"^(?P<indent>[ ]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_SKIP = re.compile(r"^<!--\s*docs-test:\s*skip\b(?P<reason>.*?)-->\s*$")
_SNIPPET = re.compile(r"""^(?P<indent>[ ]*)--8<--\s+["'](?P<path>[^"']+)["']\s*$""")
_SECTION_MARKER = re.compile(r"--8<-- \[(start|end):[-_0-9a-z]+\]")
_RUNNABLE = frozenset({"python", "py", "pycon"})
_NEEDS_WEAVIATE = re.compile(r"\b(connect_to_local|use_async_with_local)\(")


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int  # 1-based line of the first code line in the page
    language: str
    code: str
    skip_reason: str | None
    included: bool  # holds a `--8<--` snippet, so its line numbers are not the page's

    @property
    def doctest(self) -> bool:
        return self.language == "pycon" or self.code.lstrip().startswith(">>> ")

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def _snippet(spec: str) -> list[str]:
    """The lines `--8<-- "path"` or `--8<-- "path:section"` includes (marker lines dropped)."""
    path, _, section = spec.partition(":")
    lines = (REPO / path).read_text(encoding="utf-8").splitlines()
    if section:
        start = next(i for i, line in enumerate(lines) if f"--8<-- [start:{section}]" in line)
        end = next(i for i, line in enumerate(lines) if f"--8<-- [end:{section}]" in line)
        lines = lines[start + 1 : end]
    return [line for line in lines if _SECTION_MARKER.search(line) is None]


def _include_snippets(code: str) -> tuple[str, bool]:
    lines, included = [], False
    for line in code.splitlines():
        match = _SNIPPET.match(line)
        if match is None:
            lines.append(line)
            continue
        included = True
        lines.extend(match["indent"] + part for part in _snippet(match["path"]))
    return "\n".join(lines) + "\n", included


def code_blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, in order (any language)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        language = (opening["info"].split() or [""])[0].lstrip("{.").rstrip("}").lower()
        previous = next((line.strip() for line in reversed(lines[:i]) if line.strip()), "")
        skip = _SKIP.match(previous)
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not (
            lines[j].startswith(indent + fence[0] * len(fence))
            and not lines[j].strip().strip(fence[0])
        ):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        code, included = _include_snippets("\n".join(body))
        blocks.append(
            Block(
                page=page,
                line=i + 2,
                language=language,
                code=code,
                skip_reason=skip["reason"].strip() if skip else None,
                included=included,
            )
        )
        i = j + 1
    return blocks


def runnable_blocks(page: Path) -> list[Block]:
    return [b for b in code_blocks(page) if b.language in _RUNNABLE]


def needs_weaviate(page: Path) -> bool:
    return any(
        _NEEDS_WEAVIATE.search(b.code) and b.skip_reason is None for b in runnable_blocks(page)
    )


def _page_id(page: Path) -> str:
    return str(page.relative_to(REPO))


LOCAL_PAGES = [p for p in PAGES if runnable_blocks(p) and not needs_weaviate(p)]
WEAVIATE_PAGES = [p for p in PAGES if needs_weaviate(p)]


# ---------------------------------------------------------------------------- running


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh working directory with the repository's data and examples linked in."""
    for name in ("tests", "examples"):
        (tmp_path / name).symlink_to(REPO / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run_doctest(block: Block, namespace: dict[str, Any]) -> None:
    name = block.where
    test = doctest.DocTestParser().get_doctest(
        block.code, namespace, name, str(block.page), block.line - 1
    )
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    failures: list[str] = []

    def report(text: str) -> None:
        failures.append(text)

    runner.run(test, out=report, clear_globs=False)
    namespace.update(test.globs)
    if runner.failures:
        pytest.fail(f"doctest at {name} failed:\n{''.join(failures)}", pytrace=False)


def _run_code(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    if block.included:
        filename, source = f"<{block.where} (with included snippet)>", block.code
    else:
        # Pad so that tracebacks name the page's own line numbers.
        filename, source = str(block.page), "\n" * (block.line - 1) + block.code
    code = compile(
        source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )
    result = eval(code, namespace)  # noqa: S307 - the repository's own documentation
    if inspect.iscoroutine(result):
        loop.run_until_complete(result)


def run_page(page: Path) -> int:
    """Run a page's blocks in order in one namespace; returns how many ran."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    loop = asyncio.new_event_loop()
    ran = 0
    try:
        for block in runnable_blocks(page):
            if block.skip_reason is not None:
                continue
            try:
                if block.doctest:
                    _run_doctest(block, namespace)
                else:
                    _run_code(block, namespace, loop)
            except pytest.fail.Exception:
                raise
            except BaseException as exc:
                exc.add_note(f"in the code block at {block.where}")
                raise
            ran += 1
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return ran


@pytest.mark.parametrize("page", LOCAL_PAGES, ids=_page_id)
def test_page_examples_run(page: Path, workdir: Path) -> None:
    assert run_page(page) > 0


@pytest.fixture
def local_weaviate(
    weaviate_server: WeaviateHandle, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WeaviateHandle]:
    """Point `weaviate.connect_to_local` and `use_async_with_local` at the test server.

    Deletes the collections a page created, even when it fails half-way.
    """
    import weaviate  # noqa: PLC0415 - only the Weaviate pages need it

    weaviate_server.ensure_running()
    connect, use_async = weaviate.connect_to_local, weaviate.use_async_with_local
    ports = {
        "host": weaviate_server.http_host,
        "port": weaviate_server.http_port,
        "grpc_port": weaviate_server.grpc_port,
    }

    opened: list[Any] = []

    def connect_to_local(*_args: Any, **kwargs: Any) -> Any:
        opened.append(connect(**{**kwargs, **ports}))
        return opened[-1]

    def use_async_with_local(*_args: Any, **kwargs: Any) -> Any:
        return use_async(**{**kwargs, **ports})

    monkeypatch.setattr(weaviate, "connect_to_local", connect_to_local)
    monkeypatch.setattr(weaviate, "use_async_with_local", use_async_with_local)
    with weaviate_server.connect() as client:
        before = set(client.collections.list_all(simple=True))
    try:
        yield weaviate_server
    finally:
        for client in opened:  # a page that failed half-way did not close its client
            client.close()
        with weaviate_server.connect() as client:
            for name in set(client.collections.list_all(simple=True)) - before:
                client.collections.delete(name)


@pytest.mark.parametrize("page", WEAVIATE_PAGES, ids=_page_id)
def test_weaviate_page_examples_run(
    page: Path, workdir: Path, local_weaviate: WeaviateHandle
) -> None:
    assert run_page(page) > 0


# ---------------------------------------------------------------------------- examples/


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_script_runs(script: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    result = subprocess.run(  # noqa: S603 - the repository's own example
        [sys.executable, str(script)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


# ---------------------------------------------------------------------------- the harness


def test_every_page_is_collected_and_in_the_nav() -> None:
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))

    def paths(node: Any) -> Iterator[str]:
        if isinstance(node, str):
            yield node
        elif isinstance(node, list):
            for item in node:
                yield from paths(item)
        elif isinstance(node, dict):
            for value in node.values():
                yield from paths(value)

    in_nav = set(paths(config["nav"]))
    on_disk = {str(p.relative_to(DOCS)) for p in PAGES if p.is_relative_to(DOCS)}
    assert on_disk == in_nav
    blocks = [b for page in PAGES for b in runnable_blocks(page)]
    assert len(blocks) >= 40, "the collector found suspiciously few Python blocks"
    ran_pages = set(LOCAL_PAGES) | set(WEAVIATE_PAGES)
    assert {p for p in PAGES if runnable_blocks(p)} == ran_pages


def test_skips_are_few_and_explained() -> None:
    skipped = [b for page in PAGES for b in code_blocks(page) if b.skip_reason is not None]
    assert len(skipped) <= MAX_SKIPPED_BLOCKS, [b.where for b in skipped]
    for block in skipped:
        assert block.language in _RUNNABLE, f"{block.where}: skip marker before a non-Python block"
        assert len(block.skip_reason or "") >= 10, f"{block.where}: say why it cannot run"


def test_the_collector_reads_fences_markers_and_snippets(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```bash\nls\n```\n\n<!-- docs-test: skip the v3 client is gone -->\n"
        '```python\nold()\n```\n\n!!! note\n    ```python title="x"\n    a = 1\n    ```\n'
        '\n```python\n--8<-- "examples/quickstart.py"\n```\n'
        '\n```python\n--8<-- "examples/rag_chain.py:chain"\n```\n',
        encoding="utf-8",
    )
    blocks = code_blocks(page)
    assert [(b.language, b.line) for b in blocks] == [
        ("bash", 4),
        ("python", 9),
        ("python", 14),
        ("python", 18),
        ("python", 22),
    ]
    assert blocks[1].skip_reason == "the v3 client is gone"
    assert blocks[2].code == "a = 1\n"
    assert blocks[3].included
    assert "def main()" in blocks[3].code
    assert blocks[4].code.startswith("def format_docs(")
    assert "--8<--" not in blocks[4].code
