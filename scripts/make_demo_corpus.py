"""Build the `langchain-hybrid demo` corpus from the Python standard library's docstrings.

The source is the running CPython's own standard library, pinned by version: the corpus
in the repository was generated with CPython 3.11.7 on Linux, and the script refuses
another version unless `--any-python` is given (docstrings and `errno` differ between
versions and platforms). It writes, under `langchain_hybrid/demo/data/`:

* `corpus.jsonl`: one JSON object per line, `{"id", "kind", "module", "text"}`:
  - one document per public function, class and method of the modules in `MODULES`
    (methods only for the classes in `CLASS_METHODS`): its name and signature, then the
    first paragraph of its docstring (whitespace collapsed, cut at `MAX_CHARS`);
  - one document per module: the first paragraph of the module docstring;
  - one document per `errno` code: `errno.ECONNREFUSED (111): Connection refused`, with
    the `OSError` subclass Python raises for it. The messages are the C library's
    `os.strerror` texts, so they are the platform's (glibc on Linux).
* `LICENSE`: the PSF License Agreement, copied from the interpreter's `LICENSE.txt`;
* `NOTICE.md`: provenance, the summary of changes the PSF licence asks for, counts and
  the sha256 of `corpus.jsonl`;
* `vectors.npy`: the all-MiniLM-L6-v2 vector of every document (float32, row i = line i
  of `corpus.jsonl`), made with the demo's own runtime (`langchain_hybrid.demo.model`),
  so the demo embeds only queries at run time; `vectors.json` says how they were made
  and holds the sha256 of the corpus they belong to. Needs the `demo` extra.

Deterministic: modules, names and methods are visited in sorted order, an object
reachable under two names is kept under the first, documents with the same text are kept
once, and nothing depends on time, randomness or the environment beyond the interpreter.
Running it twice gives the same text files; `--check` compares with the committed files
and exits 1 if they differ. Vectors are floating-point sums whose last bits depend on
the CPU and BLAS, so `--check` recomputes them and compares by cosine (at least
`CHECK_COSINE` for every document) instead of by bytes.

Usage (from the repository root; `--skip-vectors` for the text files alone):

    .venv/bin/python scripts/make_demo_corpus.py [--check] [--skip-vectors]
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import importlib
import inspect
import io
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any, Final

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
OUT_DIR: Final = REPO_ROOT / "langchain_hybrid" / "demo" / "data"
PINNED_PYTHON: Final = (3, 11, 7)
MAX_CHARS: Final = 320
CHECK_COSINE: Final = 0.9999

# Everyday modules whose functions people search for by task ("pause", "copy a file").
MODULES: Final = (
    "base64",
    "bisect",
    "builtins",
    "collections",
    "contextlib",
    "copy",
    "csv",
    "datetime",
    "difflib",
    "fnmatch",
    "functools",
    "glob",
    "gzip",
    "hashlib",
    "heapq",
    "itertools",
    "json",
    "math",
    "os",
    "os.path",
    "pathlib",
    "pickle",
    "random",
    "re",
    "secrets",
    "shlex",
    "shutil",
    "signal",
    "socket",
    "statistics",
    "string",
    "struct",
    "subprocess",
    "sys",
    "tempfile",
    "textwrap",
    "threading",
    "time",
    "urllib.parse",
    "urllib.request",
    "uuid",
    "zipfile",
)
CLASS_METHODS: Final = (
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "collections.Counter",
    "collections.deque",
    "datetime.datetime",
    "pathlib.Path",
    "pathlib.PurePath",
    "socket.socket",
    "subprocess.Popen",
    "threading.Thread",
)
# The parts of the interpreter's LICENSE.txt that make up the PSF License Agreement.
LICENSE_START: Final = "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"
LICENSE_END: Final = "BEOPEN.COM LICENSE AGREEMENT FOR PYTHON 2.0"
# An old-style C docstring starts with a signature line, `dumps(obj) -> str`.
_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+")
_SIGNATURE_LINE: Final = re.compile(r"^[\w.]+\(.*\)(\s*->.*)?$")


def first_paragraph(doc: str | None) -> str:
    """The first prose paragraph of a docstring, on one line, at most `MAX_CHARS` long."""
    if not doc:
        return ""
    paragraphs = [p for p in re.split(r"\n\s*\n", inspect.cleandoc(doc)) if p.strip()]
    while paragraphs and all(
        _SIGNATURE_LINE.match(line.strip()) for line in paragraphs[0].splitlines()
    ):
        paragraphs.pop(0)
    if not paragraphs:
        return ""
    text = " ".join(paragraphs[0].split()).replace("``", "")
    if len(text) <= MAX_CHARS:
        return text
    cut = text[:MAX_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " ..."


def signature(obj: Any) -> str:
    """`(a, b=1)`, or `""` where the object has no introspectable signature."""
    try:
        text = str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""
    # Defaults such as `<function copy2 at 0x7f...>` would change the bytes on every run.
    return _ADDRESS.sub("", text)


def doc_signature(doc: str | None, name: str) -> str:
    """`(seconds)` from an old-style C docstring that starts `sleep(seconds)`, else `""`."""
    first = inspect.cleandoc(doc or "").split("\n", 1)[0].strip()
    match = re.fullmatch(rf"{re.escape(name)}(\(.*\))(\s*->.*)?", first)
    return match.group(1) if match else ""


def kind_of(obj: Any) -> str | None:
    """`function`, `class`, `exception` or `None` (not documented in the corpus)."""
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if inspect.isroutine(obj):
        return "function"
    return None


def public_names(module: Any) -> list[str]:
    """The module's public names: `__all__` where it has one, else every name not `_`-led."""
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    return sorted(set(names))


def module_documents(module_name: str, seen: set[int]) -> list[dict[str, str]]:
    """The module's own document and one per public function and class not `seen` yet."""
    module = importlib.import_module(module_name)
    documents = []
    text = first_paragraph(module.__doc__)
    if text and module_name != "builtins":
        documents.append(
            {
                "id": module_name,
                "kind": "module",
                "module": module_name,
                "text": f"{module_name} module: {text}",
            }
        )
    for name in public_names(module):
        obj = getattr(module, name, None)
        kind = kind_of(obj)
        if kind is None or id(obj) in seen:
            continue
        seen.add(id(obj))
        text = first_paragraph(obj.__doc__)
        if not text:
            continue
        qualname = name if module_name == "builtins" else f"{module_name}.{name}"
        sig = "" if kind == "exception" else signature(obj) or doc_signature(obj.__doc__, name)
        documents.append(
            {
                "id": qualname,
                "kind": kind,
                "module": module_name,
                "text": f"{qualname}{sig}: {text}",
            }
        )
    return documents


def method_documents(class_path: str, seen: set[int]) -> list[dict[str, str]]:
    """One document per public method defined (not inherited) by the class."""
    module_name, class_name = class_path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module_name), class_name)
    prefix = class_name if module_name == "builtins" else class_path
    documents = []
    # vars() holds the class's own members only, so inherited docstrings never repeat.
    for name, member in sorted(vars(cls).items()):
        method = getattr(cls, name)
        text = first_paragraph(getattr(member, "__doc__", None))
        if name.startswith("_") or not inspect.isroutine(method) or not text:
            continue
        if id(member) in seen:
            continue
        seen.add(id(member))
        qualname = f"{prefix}.{name}"
        sig = signature(method) or doc_signature(member.__doc__, name)
        documents.append(
            {
                "id": qualname,
                "kind": "method",
                "module": module_name,
                "text": f"{qualname}{sig}: {text}",
            }
        )
    return documents


def errno_documents() -> list[dict[str, str]]:
    """One document per `errno` code name (aliases such as `EWOULDBLOCK` included)."""
    documents = []
    for name in sorted(n for n in dir(errno) if re.fullmatch(r"E[A-Z0-9]+", n)):
        code = getattr(errno, name)
        message = os.strerror(code)
        raised = type(OSError(code, message)).__name__
        text = f"errno.{name} ({code}): {message}."
        if raised != "OSError":
            text += f" Python raises {raised} for it."
        documents.append({"id": f"errno.{name}", "kind": "errno", "module": "errno", "text": text})
    return documents


def build_corpus() -> list[dict[str, str]]:
    """Every document, in a fixed order, with duplicate texts dropped."""
    seen: set[int] = set()
    documents = [doc for name in MODULES for doc in module_documents(name, seen)]
    documents += [doc for path in CLASS_METHODS for doc in method_documents(path, seen)]
    documents += errno_documents()
    unique: list[dict[str, str]] = []
    texts: set[str] = set()
    ids: set[str] = set()
    for document in documents:
        if document["text"] in texts or document["id"] in ids:
            continue
        texts.add(document["text"])
        ids.add(document["id"])
        unique.append(document)
    return unique


def psf_license() -> str:
    """The PSF License Agreement section of the interpreter's own LICENSE.txt."""
    path = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    text = (path / "LICENSE.txt").read_text(encoding="utf-8")
    start, end = text.index(LICENSE_START), text.index(LICENSE_END)
    return text[start:end].rstrip() + "\n"


def notice(corpus_bytes: bytes, documents: list[dict[str, str]]) -> str:
    """NOTICE.md: where the text comes from, what was changed, counts and checksum."""
    version = ".".join(map(str, sys.version_info[:3]))
    counts: dict[str, int] = {}
    for document in documents:
        counts[document["kind"]] = counts.get(document["kind"], 0) + 1
    count_lines = "\n".join(f"| {kind} | {n} |" for kind, n in sorted(counts.items()))
    return f"""# Demo corpus: Python standard-library documentation

<!-- generated by scripts/make_demo_corpus.py; do not edit -->

`corpus.jsonl` holds {len(documents)} short documents made from the docstrings of
CPython {version}'s standard library ({platform.system()}), by
`scripts/make_demo_corpus.py`. It is the corpus of `langchain-hybrid demo`.

## Licence

The docstrings are part of Python, Copyright (c) 2001-2023 Python Software Foundation;
All Rights Reserved. They are used and redistributed under the **Python Software
Foundation License Version 2**, whose text is in `LICENSE` next to this file. The
`errno` messages are the C library's `strerror()` texts (one-line factual phrases such
as "Connection refused"). all-MiniLM-L6-v2, the model the demo embeds them with, is
not part of this corpus (Apache-2.0, read from a package that ships its files).

## Summary of changes (PSF License, clause 3)

- Only the first paragraph of each docstring is kept, whitespace collapsed, RST double
  backquotes removed, and cut at {MAX_CHARS} characters (marked `...`).
- Each text is prefixed with the object's dotted name and, where Python can introspect
  it, its signature.
- One line per `errno` code was written from `errno` and `os.strerror`.

`vectors.npy` holds the all-MiniLM-L6-v2 vector of each document (row i = line i of
`corpus.jsonl`), computed by the same script; `vectors.json` describes them. They are
derived from the texts above and covered by the same notice.

## Contents

| kind | documents |
|---|---|
{count_lines}

sha256 of `corpus.jsonl`: `{hashlib.sha256(corpus_bytes).hexdigest()}`
"""


def render() -> dict[str, bytes]:
    """The three text files, by name."""
    documents = build_corpus()
    corpus = "".join(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in documents)
    corpus_bytes = corpus.encode("utf-8")
    return {
        "corpus.jsonl": corpus_bytes,
        "LICENSE": psf_license().encode("utf-8"),
        "NOTICE.md": notice(corpus_bytes, documents).encode("utf-8"),
    }


def _progress(done: int, total: int) -> None:
    end = "\n" if done >= total else ""
    print(f"\r  embedding {total} documents: {done}/{total}", end=end, file=sys.stderr, flush=True)


def embed_corpus(corpus_bytes: bytes) -> tuple[Any, dict[str, Any]]:
    """The vectors of every corpus line (float32 array) and their manifest."""
    import numpy as np  # noqa: PLC0415 - only for the vectors; the text files need none

    from langchain_hybrid.demo.minilm import HIDDEN  # noqa: PLC0415
    from langchain_hybrid.demo.model import (  # noqa: PLC0415
        MAX_TOKENS,
        MODEL_NAME,
        TOKENIZER_SHA256,
        WEIGHTS_SHA256,
        load_minilm,
    )

    texts = [json.loads(line)["text"] for line in corpus_bytes.decode("utf-8").splitlines()]
    started = time.perf_counter()
    vectors = np.asarray(load_minilm(progress=_progress).embed_documents(texts), np.float32)
    print(f"  embedded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    manifest = {
        "model": MODEL_NAME,
        "weights_sha256": WEIGHTS_SHA256,
        "tokenizer_sha256": TOKENIZER_SHA256,
        "runtime": "langchain_hybrid.demo.minilm (numpy forward pass)",
        "max_tokens": MAX_TOKENS,
        "pooling": "mean over the attention mask, then L2-normalised",
        "dtype": "float32",
        "documents": len(texts),
        "dimensions": HIDDEN,
        "rows": "row i is line i of corpus.jsonl",
        "corpus_sha256": hashlib.sha256(corpus_bytes).hexdigest(),
        "made_by": "scripts/make_demo_corpus.py",
    }
    return vectors, manifest


def vector_files(vectors: Any, manifest: dict[str, Any]) -> dict[str, bytes]:
    """`vectors.npy` and `vectors.json` as bytes."""
    import numpy as np  # noqa: PLC0415

    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return {"vectors.npy": buffer.getvalue(), "vectors.json": text.encode("utf-8")}


def stale_vectors(out: Path, vectors: Any, manifest: dict[str, Any]) -> list[str]:
    """What differs between freshly computed vectors and the files in `out`."""
    import numpy as np  # noqa: PLC0415

    if not (out / "vectors.npy").is_file() or not (out / "vectors.json").is_file():
        return ["vectors.npy/vectors.json missing"]
    problems = []
    if json.loads((out / "vectors.json").read_text(encoding="utf-8")) != manifest:
        problems.append("vectors.json")
    shipped = np.load(out / "vectors.npy", allow_pickle=False)
    if shipped.shape != vectors.shape:
        problems.append(f"vectors.npy (shape {shipped.shape}, expected {vectors.shape})")
    else:
        worst = float((shipped * vectors).sum(axis=1).min())
        if worst < CHECK_COSINE:
            problems.append(f"vectors.npy (lowest cosine {worst:.6f} < {CHECK_COSINE})")
    return problems


def write_atomic(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename it: a reader never sees half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    temporary.replace(path)


def main() -> int:
    """Write (or with `--check`, compare) the demo corpus files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    parser.add_argument(
        "--check", action="store_true", help="compare with the files in --out, write nothing"
    )
    parser.add_argument(
        "--skip-vectors",
        action="store_true",
        help="only the text files (no model needed): corpus.jsonl, LICENSE, NOTICE.md",
    )
    parser.add_argument(
        "--any-python",
        action="store_true",
        help=f"run on another Python than {'.'.join(map(str, PINNED_PYTHON))} (output will differ)",
    )
    args = parser.parse_args()
    if sys.version_info[:3] != PINNED_PYTHON and not args.any_python:
        pinned = ".".join(map(str, PINNED_PYTHON))
        print(
            f"the corpus is pinned to CPython {pinned} (this is {sys.version.split()[0]}); "
            "use --any-python to build it anyway",
            file=sys.stderr,
        )
        return 2
    files = render()
    if args.check:
        stale = [
            name
            for name, data in files.items()
            if not (args.out / name).is_file() or (args.out / name).read_bytes() != data
        ]
        if not args.skip_vectors:
            stale += stale_vectors(args.out, *embed_corpus(files["corpus.jsonl"]))
        if stale:
            print(f"out of date in {args.out}: {', '.join(stale)}", file=sys.stderr)
            return 1
        print(f"{args.out}: up to date")
        return 0
    if not args.skip_vectors:
        files |= vector_files(*embed_corpus(files["corpus.jsonl"]))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        write_atomic(args.out / name, data)
    lines = files["corpus.jsonl"].count(b"\n")
    print(f"wrote {lines} documents ({len(files['corpus.jsonl']):,} bytes) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
