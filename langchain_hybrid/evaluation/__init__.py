"""Evaluate retrievers on labelled queries and tune alpha (extra `eval`).

Alpha is a per-corpus hyperparameter: tune it on labelled queries of one split and
report on another. This package loads BEIR-format datasets, serves their precomputed
embeddings (no model download), runs any LangChain retriever over the queries, scores
the results with ranx, and sweeps alpha x fusion x fetch depth.

Example:
    ```python
    from langchain_hybrid import HybridRetriever
    from langchain_hybrid.evaluation import (
        PrecomputedEmbeddings,
        load_beir,
        precomputed_vector_store,
        sweep,
        to_documents,
    )

    path = "../shared/data/beir/scifact"
    corpus, queries, qrels = load_beir(path, "train")
    docs = to_documents(corpus)
    store = precomputed_vector_store(docs, PrecomputedEmbeddings.from_beir(path))
    retriever = HybridRetriever.from_vectorstore(store, documents=docs, k=100)
    result = sweep(retriever, queries, qrels)
    print(result.best)
    ```

The command line wraps the same functions: `langchain-hybrid eval` and
`langchain-hybrid tune`.
"""

from __future__ import annotations

from langchain_hybrid.evaluation.beir import (
    BeirDataset,
    CorpusDocument,
    DatasetError,
    DatasetNotFoundError,
    Qrels,
    available_splits,
    load_beir,
    load_corpus,
    load_qrels,
    load_queries,
    to_documents,
)
from langchain_hybrid.evaluation.embeddings import (
    DEFAULT_MODEL,
    PrecomputedEmbeddings,
    UnknownTextError,
    load_vectors,
    precomputed_vector_store,
)
from langchain_hybrid.evaluation.grid import DEFAULT_ALPHAS, DEFAULT_K, Grid
from langchain_hybrid.evaluation.metrics import (
    METRIC_FAMILIES,
    METRICS,
    compute_metrics,
    validate_metrics,
)
from langchain_hybrid.evaluation.plot import plot_sweep
from langchain_hybrid.evaluation.sweep import (
    EvaluationResult,
    Legs,
    Progress,
    SweepResult,
    SweepRow,
    TuneResult,
    collect_legs,
    evaluate,
    fused_rankings,
    retrieve,
    sweep,
    tune,
)

__all__ = [
    "DEFAULT_ALPHAS",
    "DEFAULT_K",
    "DEFAULT_MODEL",
    "METRICS",
    "METRIC_FAMILIES",
    "BeirDataset",
    "CorpusDocument",
    "DatasetError",
    "DatasetNotFoundError",
    "EvaluationResult",
    "Grid",
    "Legs",
    "PrecomputedEmbeddings",
    "Progress",
    "Qrels",
    "SweepResult",
    "SweepRow",
    "TuneResult",
    "UnknownTextError",
    "available_splits",
    "collect_legs",
    "compute_metrics",
    "evaluate",
    "fused_rankings",
    "load_beir",
    "load_corpus",
    "load_qrels",
    "load_queries",
    "load_vectors",
    "plot_sweep",
    "precomputed_vector_store",
    "retrieve",
    "sweep",
    "to_documents",
    "tune",
    "validate_metrics",
]
