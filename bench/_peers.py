"""Other frameworks' hybrid retrievers, run by the quality benchmark itself, fully offline.

Every peer gets the same documents (`title + " " + text`), the same precomputed
all-MiniLM-L6-v2 vectors (looked up by text, as `PrecomputedEmbeddings` serves them: no
model is loaded, nothing is downloaded) and the same depths: `DEPTH` candidates per leg
and `DEPTH` fused results (nDCG@10 reads the first ten). Each is used at its defaults
otherwise:

- LlamaIndex: `QueryFusionRetriever` over `BM25Retriever` (bm25s, its default English
  stemming and stopwords) and a `VectorStoreIndex` retriever, `num_queries=1` (no LLM
  query generation; a `MockLLM` stands in so nothing is resolved from the network),
  equal weights, one row per fusion mode.
- Haystack: `InMemoryBM25Retriever` (its default BM25L) and `InMemoryEmbeddingRetriever`
  over one `InMemoryDocumentStore`, joined by `DocumentJoiner`, one row per join mode.
  The two retrievers run once per query; each joiner gets its own copy of their lists
  (joiners rescore documents in place). Haystack's telemetry is switched off, and the
  store returns documents without their vectors (which changes no score).

Each peer is a `search(text) -> list[doc_id]` callable, so the benchmark scores it
the same way as ours. The builders under them (`llamaindex_legs`, `llamaindex_fusion`,
`haystack_store`, `haystack_pipeline`) are shared with the speed benchmark
(`bench/speed.py`), which times one fused query of each as its users would run it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

DEPTH: Final = 100

Search = Callable[[str], list[str]]

LLAMAINDEX_MODES: Final = ("dist_based_score", "relative_score", "reciprocal_rerank", "simple")
HAYSTACK_MODES: Final = (
    "distribution_based_rank_fusion",
    "reciprocal_rank_fusion",
    "merge",
    "concatenate",
)


def _vector_lists(documents: Sequence[Document], embeddings: Embeddings) -> list[list[float]]:
    """Each document's vector as a list of floats (what LlamaIndex and Haystack store)."""
    vectors = embeddings.embed_documents([doc.page_content for doc in documents])
    return np.asarray(vectors, dtype=np.float64).tolist()  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- LlamaIndex


def llamaindex_legs(
    documents: Sequence[Document], embeddings: Embeddings, depth: int = DEPTH
) -> tuple[Any, Any]:
    """LlamaIndex's `BM25Retriever` (bm25s) and a `VectorStoreIndex` retriever, `depth` deep."""
    from llama_index.core import VectorStoreIndex  # noqa: PLC0415 - the bench extra
    from llama_index.core.base.embeddings.base import BaseEmbedding  # noqa: PLC0415
    from llama_index.core.schema import TextNode  # noqa: PLC0415
    from llama_index.retrievers.bm25 import BM25Retriever  # noqa: PLC0415

    class LookupEmbedding(BaseEmbedding):
        """Precomputed vectors by text: LlamaIndex's query embedding without a model."""

        table: Any = None

        def _get_query_embedding(self, query: str) -> list[float]:
            return self.table.embed_query(query)

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self.table.embed_query(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return _vector_lists([Document(text)], self.table)[0]

    lookup = LookupEmbedding(table=embeddings, model_name="lookup (precomputed)")
    nodes = [
        TextNode(id_=doc.id, text=doc.page_content, embedding=vector)
        for doc, vector in zip(documents, _vector_lists(documents, embeddings), strict=True)
    ]
    index = VectorStoreIndex(nodes, embed_model=lookup)
    vector_leg = index.as_retriever(similarity_top_k=depth)
    bm25_leg = BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=depth)
    return bm25_leg, vector_leg


def llamaindex_fusion(legs: tuple[Any, Any], mode: str, k: int = DEPTH) -> Any:
    """A `QueryFusionRetriever` over the two legs: one query (no LLM), equal weights."""
    from llama_index.core.llms import MockLLM  # noqa: PLC0415 - the bench extra
    from llama_index.core.retrievers import QueryFusionRetriever  # noqa: PLC0415

    return QueryFusionRetriever(
        list(legs),
        llm=MockLLM(),
        mode=mode,  # type: ignore[arg-type]
        similarity_top_k=k,
        num_queries=1,
        use_async=False,
    )


def llamaindex_peers(documents: Sequence[Document], embeddings: Embeddings) -> dict[str, Search]:
    """One `QueryFusionRetriever` per fusion mode, over the same two leg retrievers."""
    legs = llamaindex_legs(documents, embeddings)
    peers: dict[str, Search] = {}
    for mode in LLAMAINDEX_MODES:
        fusion = llamaindex_fusion(legs, mode)

        def search(text: str, fusion: Any = fusion) -> list[str]:
            return [hit.node.node_id for hit in fusion.retrieve(text)]

        peers[f"LlamaIndex `QueryFusionRetriever`, `{mode}`"] = search
    bm25_leg = legs[0]
    peers["BM25 alone, LlamaIndex `BM25Retriever` (bm25s)"] = lambda text: [
        hit.node.node_id for hit in bm25_leg.retrieve(text)
    ]
    return peers


# ---------------------------------------------------------------------------- Haystack


def haystack_store(documents: Sequence[Document], embeddings: Embeddings) -> Any:
    """An `InMemoryDocumentStore` holding the documents and their vectors."""
    os.environ["HAYSTACK_TELEMETRY_ENABLED"] = "False"  # no posthog calls from a benchmark
    from haystack import Document as HaystackDocument  # noqa: PLC0415 - the bench extra
    from haystack.document_stores.in_memory import InMemoryDocumentStore  # noqa: PLC0415

    # return_embedding=False: the lists keep no vectors, so holding them is cheap; scores
    # are the same either way.
    store = InMemoryDocumentStore(return_embedding=False)
    store.write_documents(
        [
            HaystackDocument(id=doc.id, content=doc.page_content, embedding=vector)
            for doc, vector in zip(documents, _vector_lists(documents, embeddings), strict=True)
        ]
    )
    return store


def haystack_pipeline(store: Any, mode: str, depth: int = DEPTH, k: int = DEPTH) -> Any:
    """A Haystack `Pipeline`: BM25 and embedding retrievers into one `DocumentJoiner`.

    Run it with `{"bm25": {"query": text}, "dense": {"query_embedding": vector}}`.
    """
    from haystack import Pipeline  # noqa: PLC0415 - the bench extra
    from haystack.components.joiners import DocumentJoiner  # noqa: PLC0415
    from haystack.components.retrievers.in_memory import (  # noqa: PLC0415
        InMemoryBM25Retriever,
        InMemoryEmbeddingRetriever,
    )

    pipeline = Pipeline()
    pipeline.add_component("bm25", InMemoryBM25Retriever(store, top_k=depth))
    pipeline.add_component("dense", InMemoryEmbeddingRetriever(store, top_k=depth))
    pipeline.add_component("joiner", DocumentJoiner(join_mode=mode, top_k=k))
    pipeline.connect("bm25.documents", "joiner.documents")
    pipeline.connect("dense.documents", "joiner.documents")
    return pipeline


def haystack_peers(documents: Sequence[Document], embeddings: Embeddings) -> dict[str, Search]:
    """One `DocumentJoiner` per join mode over Haystack's BM25 and embedding retrievers."""
    from haystack.components.joiners import DocumentJoiner  # noqa: PLC0415 - the bench extra
    from haystack.components.retrievers.in_memory import (  # noqa: PLC0415
        InMemoryBM25Retriever,
        InMemoryEmbeddingRetriever,
    )

    store = haystack_store(documents, embeddings)
    bm25 = InMemoryBM25Retriever(store, top_k=DEPTH)
    dense = InMemoryEmbeddingRetriever(store, top_k=DEPTH)
    joiners = {mode: DocumentJoiner(join_mode=mode, top_k=DEPTH) for mode in HAYSTACK_MODES}
    cache: dict[str, tuple[list[Any], list[Any]]] = {}

    def legs(text: str) -> tuple[list[Any], list[Any]]:
        if text not in cache:  # both legs once per query, shared by every join mode
            keyword = bm25.run(query=text)["documents"]
            vector = dense.run(query_embedding=embeddings.embed_query(text))["documents"]
            cache[text] = (keyword, vector)
        return cache[text]

    peers: dict[str, Search] = {}
    for mode, joiner in joiners.items():

        def search(text: str, joiner: Any = joiner) -> list[str]:
            keyword, vector = copy.deepcopy(legs(text))
            return [doc.id for doc in joiner.run(documents=[keyword, vector])["documents"]]

        peers[f"Haystack `DocumentJoiner`, `{mode}`"] = search
    peers["BM25 alone, Haystack `InMemoryBM25Retriever` (BM25L)"] = lambda text: [
        doc.id for doc in bm25.run(query=text)["documents"]
    ]
    return peers
