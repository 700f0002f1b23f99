"""The Weaviate backend: Weaviate's native hybrid query behind `HybridRetriever`.

`WeaviateBackend` (`backend`) is thin; each module beside it owns one step:

```
plan           HybridQuery + collection info -> hybrid() arguments; objects -> Documents (pure)
options        validation of the query and the pass-through options, server versions (pure)
filters        the backend-neutral filter tree -> weaviate Filter (pure)
explain        explain_score text -> per-leg evidence (pure)
client_fusion  the fusion methods the server lacks: both legs, fused in Python (pure)
schema         the collection the backend creates, and the check of an existing one
ingest         documents -> objects (pure), and the batched writes with every failure
errors         weaviate-client exceptions -> langchain_hybrid.errors (the only place)
steps          runs one operation with a sync or an async client
backend        WeaviateBackend: plan -> one call (or await) -> decode
vectorstore    a WeaviateBackend on a langchain_weaviate.WeaviateVectorStore's collection
```

Example:
    ```python
    import weaviate
    from langchain_hybrid import HybridRetriever
    from langchain_hybrid.backends.weaviate import WeaviateBackend

    backend = WeaviateBackend(weaviate.connect_to_local(), "Docs", embeddings)
    HybridRetriever(backend=backend, alpha=0.5).invoke("E1234")
    ```
"""

from __future__ import annotations

from langchain_hybrid.backends.weaviate.backend import WeaviateBackend
from langchain_hybrid.backends.weaviate.errors import map_weaviate_error
from langchain_hybrid.backends.weaviate.filters import translate_filter
from langchain_hybrid.backends.weaviate.ingest import object_uuid
from langchain_hybrid.backends.weaviate.options import (
    MIN_SERVER_VERSIONS,
    WEAVIATE_OPTIONS,
    check_server_version,
)
from langchain_hybrid.backends.weaviate.schema import CollectionSpec
from langchain_hybrid.backends.weaviate.vectorstore import (
    backend_from_weaviate_vectorstore,
    is_weaviate_vectorstore,
)

__all__ = [
    "MIN_SERVER_VERSIONS",
    "WEAVIATE_OPTIONS",
    "CollectionSpec",
    "WeaviateBackend",
    "backend_from_weaviate_vectorstore",
    "check_server_version",
    "is_weaviate_vectorstore",
    "map_weaviate_error",
    "object_uuid",
    "translate_filter",
]
