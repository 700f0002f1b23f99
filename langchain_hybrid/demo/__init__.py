"""`langchain-hybrid demo`: keyword, vector and hybrid rankings side by side.

The demo searches about 1,200 short documents made from Python standard-library
docstrings and `errno` codes (shipped in `data/`, PSF License 2.0) with a real embedding
model, all-MiniLM-L6-v2, offline and without PyTorch: a numpy forward pass over the
upstream weights, which a package of the `demo` extra ships. The corpus vectors are
shipped too (`data/vectors.npy`), so only queries are embedded at run time. It prints
for three queries the BM25 ranking, the vector ranking and the hybrid ranking in columns,
or serves them on a local web page with an alpha slider (`--serve`).

```bash
pip install "langchain-hybrid[demo]"
langchain-hybrid demo [--query TEXT ...] [--alpha 0.5] [--k 5] [--weaviate URL] [--json]
langchain-hybrid demo --serve [--port 8765] [--weaviate URL]
```

One module per job: `corpus` (the shipped documents), `minilm` (the model's forward
pass, pure numpy), `model` (finding and checking the weights, the `Embeddings`
adapter), `vectors` (the shipped corpus vectors), `queries` (the built-in queries),
`search` (the retriever and the three rankings), `server` (the same on Weaviate),
`display` (pure formatting), `web` (the `--serve` page and its JSON API) and `cli`
(options, progress, printing). Importing this package loads neither the model nor
weaviate-client, `tokenizers` or `http.server`.

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
from langchain_hybrid.demo.vectors import ShippedEmbeddings, load_vectors

__all__ = [
    "CORPUS_LICENSE",
    "CORPUS_SOURCE",
    "DEMO_QUERIES",
    "DemoQuery",
    "MiniLMEmbeddings",
    "Rankings",
    "ShippedEmbeddings",
    "build_local_retriever",
    "load_corpus",
    "load_minilm",
    "load_vectors",
    "rank",
]
