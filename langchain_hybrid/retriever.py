"""`HybridRetriever`: the LangChain retriever in front of every backend."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, cast

from langchain_core.callbacks import AsyncCallbackManager, CallbackManager
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from langchain_core.runnables.config import get_config_list
from langchain_core.vectorstores import VectorStore
from pydantic import ConfigDict, Field, model_validator
from typing_extensions import override

from langchain_hybrid._types import Fusion, HybridQuery
from langchain_hybrid.alpha_selection import AUTO, AlphaModel, alpha_selector, load_alpha_model
from langchain_hybrid.analysis import Analyzer, default_local_analyzer
from langchain_hybrid.attach import OnDrift, keyword_index_for
from langchain_hybrid.backends.base import HybridBackend
from langchain_hybrid.backends.local import LocalBackend
from langchain_hybrid.checks import positive_int
from langchain_hybrid.errors import ConfigError, ServerUnavailableError
from langchain_hybrid.filters import FilterSpec, parse_filter
from langchain_hybrid.fusion import (
    DEFAULT_LEG_DEPTH,
    DEFAULT_RANK_CONSTANT,
    FUSION_METHODS,
    validate_alpha,
)
from langchain_hybrid.keyword_index import KeywordIndex, create_keyword_index
from langchain_hybrid.persistence import save_keyword_index
from langchain_hybrid.vector_leg import ScoreFn, VectorLeg
from langchain_hybrid.vectorstore import NumpyVectorStore

if TYPE_CHECKING:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.embeddings import Embeddings
    from weaviate import WeaviateAsyncClient, WeaviateClient

    from langchain_hybrid.sync import ReconcileReport

__all__ = ["HybridRetriever"]

_MIN_BATCH = 2  # a batch of one is an invoke


Filter = FilterSpec | Callable[[Document], bool]


class HybridRetriever(BaseRetriever):
    """Hybrid search: BM25 keyword search fused with vector search, weighted by `alpha`.

    `alpha` is the weight of the vector leg: 1 is pure vector search, 0 pure keyword
    search (the other leg is then not run at all), 0.5 (the default) weighs both equally.
    Fusion follows Weaviate's formulas, so an alpha tuned locally carries over to the
    Weaviate backend.

    Setup:
        ```bash
        pip install langchain-hybrid
        ```

    Instantiate:
        ```python
        from langchain_core.documents import Document
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_hybrid import HybridRetriever

        docs = [
            Document("Fix for error E1234 in the parser", metadata={"year": 2024}),
            Document("The cat sat on the mat", metadata={"year": 2021}),
            Document("Parsing failures and how to debug them", metadata={"year": 2023}),
        ]
        retriever = HybridRetriever.from_documents(
            docs, DeterministicFakeEmbedding(size=16), ids=["a", "b", "c"], k=2
        )
        ```

    Search (per-call overrides work like `search_kwargs`):
        ```python
        found = retriever.invoke("error E1234", alpha=0.3)
        print(found[0].id, sorted(found[0].metadata))
        ```
        ```text
        a ['alpha', 'fusion', 'hybrid_score', 'keyword_contribution', 'keyword_rank',
           'keyword_score', 'vector_contribution', 'vector_rank', 'vector_score', 'year']
        ```

    Filter (applied to both legs):
        ```python
        retriever.invoke("parser", filter={"year": {"$gte": 2023}})
        ```

    Add and delete (both legs stay in sync):
        ```python
        retriever.add_documents([Document("E1234 again")], ids=["d"])
        retriever.delete(["d"])
        ```

    Async and batch:
        ```python
        await retriever.ainvoke("error E1234")
        retriever.batch(["error", "cat"])
        ```

    Use as a drop-in for `vectorstore.as_retriever()` (the keyword index follows the
    store's writes when they go through `HybridVectorStore`):
        ```python
        retriever = HybridVectorStore(vectorstore).as_retriever(alpha=0.5)
        ```
    """

    backend: HybridBackend
    """Where the search runs: `LocalBackend` (in-process) or a Weaviate backend."""
    alpha: float | Literal["auto"] = 0.5
    """Weight of the vector leg in [0, 1]: 1 = vector only, 0 = keyword only; `"auto"`
    chooses it per query from both legs' evidence (`langchain_hybrid.alpha_selection`)."""
    alpha_model: AlphaModel | None = None
    """A per-query alpha model (or the path of its JSON file, from `langchain-hybrid tune
    --per-query`) that chooses each query's alpha; a number passed as `alpha` per call wins."""
    k: int = 4
    """Number of documents to return."""
    fetch_k: int | None = None
    """Depth of each leg before fusion; `None` means `max(100, k)`, as Weaviate does."""
    fusion: Fusion = "relative_score"
    """`"relative_score"` (min-max normalised scores, Weaviate's default) or `"ranked"` (RRF)."""
    rank_constant: int = DEFAULT_RANK_CONSTANT
    """Ranked fusion's constant: `w / (i + rank_constant)` with 0-based `i` (Weaviate: 60).
    LangChain's `EnsembleRetriever` corresponds to 61."""
    filter: Filter | None = None
    """Metadata filter applied to both legs (see `langchain_hybrid.filters`); a callable
    `Document -> bool` also works on the local backend."""
    fields_from_search_kwargs: frozenset[str] = Field(default=frozenset(), repr=False, exclude=True)
    """Bookkeeping: the fields that a `search_kwargs` key set (so that a later
    `search_kwargs`, e.g. from `configurable_fields`, may set them again)."""
    search_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Defaults for per-call options, as in `vectorstore.as_retriever(search_kwargs=...)`.

    Precedence: per-call keywords > fields (constructor, `configurable_fields`) >
    `search_kwargs`. A key that names a field (`k`, `alpha`, ...) sets that field and is
    moved out of `search_kwargs`; giving both with different values is a `ConfigError`."""
    max_retries: int = Field(default=0, ge=0, le=10)
    """Retries of a search that failed with `ServerUnavailableError` (off by default: a
    transient outage then raises at once; weaviate-client already retries its gRPC calls)."""
    retry_backoff: float = Field(default=0.5, ge=0, le=60)
    """Base delay in seconds: retry `i` waits a random time up to `retry_backoff * 2**i`."""

    # A misspelt field (`alhpa=0`) must fail, not be ignored.
    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    search_options: ClassVar[frozenset[str]] = frozenset(
        {"alpha", "k", "fetch_k", "fusion", "rank_constant", "filter"}
    )

    def __init__(self, **data: Any) -> None:
        """Create the retriever; see the class docstring for the fields.

        Raises:
            ConfigError: a field and `search_kwargs` set the same option differently.
        """
        # Here, not in a validator: pydantic would wrap the ConfigError in its own error.
        super().__init__(**_fold_search_kwargs(data, self.search_options, type(self).model_fields))

    @model_validator(mode="before")
    @classmethod
    def _validate_raw_numbers(cls, data: Any) -> Any:
        # Before pydantic's coercion, which would turn `k=True` into 1 and `alpha="1"`
        # into 1.0: the fields get exactly the checks that per-call options get.
        if isinstance(data, Mapping):
            for name in ("k", "rank_constant"):
                if name in data:
                    positive_int(name, data[name])
            if data.get("fetch_k") is not None:
                positive_int("fetch_k", data["fetch_k"])
            if "alpha" in data and data["alpha"] != AUTO:
                validate_alpha(data["alpha"])
            if data.get("alpha_model") is not None:
                data = {**data, "alpha_model": load_alpha_model(data["alpha_model"])}
        return data

    @model_validator(mode="after")
    def _validate(self) -> HybridRetriever:
        self._build_query("", {})
        return self

    # ------------------------------------------------------------------------ options

    def _build_query(self, text: object, overrides: Mapping[str, Any]) -> HybridQuery:
        """Merge fields, `search_kwargs` and per-call options, and validate them once."""
        if not isinstance(text, str):
            msg = f"query must be a string, got {type(text).__name__}"
            raise ConfigError(msg)
        fields = {name: getattr(self, name) for name in self.search_options}
        # Per call > fields set explicitly > search_kwargs > field defaults. (A
        # search_kwargs key naming a field was folded into it at construction; this
        # order matters only for search_kwargs changed afterwards.)
        explicit = {name: fields[name] for name in self.search_options & self.model_fields_set}
        settings: dict[str, Any] = {**fields, **self.search_kwargs, **explicit, **overrides}
        allowed = self.search_options | self.backend.option_names
        unknown = sorted(set(settings) - allowed)
        if unknown:
            msg = f"unknown search option(s) {unknown}; allowed: {sorted(allowed)}"
            raise ConfigError(msg)
        k = positive_int("k", settings["k"])
        fetch_k = settings["fetch_k"]
        fetch_k = max(DEFAULT_LEG_DEPTH, k) if fetch_k is None else positive_int("fetch_k", fetch_k)
        fusion = settings["fusion"]
        if fusion not in FUSION_METHODS:
            msg = f"fusion must be one of {list(FUSION_METHODS)}, got {fusion!r}"
            raise ConfigError(msg)
        per_call = "alpha" in overrides
        alpha_setting = settings["alpha"]
        alpha = 0.5 if alpha_setting == AUTO else validate_alpha(alpha_setting)
        # The model chooses unless this call asked for a number.
        selector = alpha_selector(alpha_setting, None if per_call else self.alpha_model)
        spec = settings["filter"]
        node, predicate = None, None
        if callable(spec):
            predicate = cast("Callable[[Document], bool]", spec)
        elif spec is not None:
            node = parse_filter(spec)
        options = {name: settings[name] for name in self.backend.option_names if name in settings}
        return HybridQuery(
            text=text,
            k=k,
            fetch_k=max(fetch_k, k),
            alpha=alpha,
            fusion=cast("Fusion", fusion),
            rank_constant=positive_int("rank_constant", settings["rank_constant"]),
            filter=node,
            predicate=predicate,
            options=options,
            # With a selector, alpha is a placeholder inside (0, 1): both legs run.
            alpha_selector=selector,
        )

    # ------------------------------------------------------------------------ retrieval

    @override
    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        request = self._build_query(query, kwargs)
        attempt = 0
        while True:
            try:
                return self.backend.search(request)
            except ServerUnavailableError:
                if attempt >= self.max_retries:
                    raise
            time.sleep(self._backoff(attempt))
            attempt += 1

    @override
    async def _aget_relevant_documents(
        self,
        query: str,
        *,
        run_manager: AsyncCallbackManagerForRetrieverRun,
        **kwargs: Any,
    ) -> list[Document]:
        request = self._build_query(query, kwargs)
        attempt = 0
        while True:
            try:
                return await self.backend.asearch(request)
            except ServerUnavailableError:
                if attempt >= self.max_retries:
                    raise
            await asyncio.sleep(self._backoff(attempt))
            attempt += 1

    @override
    def batch(
        self,
        inputs: list[str],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[list[Document]]:
        """Many queries at once: on the local backend, one pass for all of them.

        The vector leg embeds the queries in one call and scores them in blocks of matrix
        products (`NumpyVectorStore`); each result is the one `invoke` gives, and each
        query is its own callback run. Other
        backends run `invoke` in a thread pool, as LangChain does.

        Example:
            ```python
            results = retriever.batch(["error E1234", "cat"], alpha=0.3)
            ```
        """
        search_many = getattr(self.backend, "search_many", None)
        if search_many is None or len(inputs) < _MIN_BATCH:
            return super().batch(inputs, config, return_exceptions=return_exceptions, **kwargs)
        configs = get_config_list(config, len(inputs))
        runs = [
            self._callback_manager(cfg, kwargs).on_retriever_start(
                None, text, name=cfg.get("run_name") or self.get_name(), run_id=cfg.get("run_id")
            )
            for text, cfg in zip(inputs, configs, strict=True)
        ]
        planned = self._plan_batch(inputs, kwargs)
        queries = [item for item in planned if isinstance(item, HybridQuery)]
        try:
            found = iter(search_many(queries))
        except Exception as exc:  # every query of the batch failed with it
            for run in runs:
                run.on_retriever_error(exc)
            if return_exceptions:
                return [exc] * len(inputs)  # type: ignore[list-item]
            raise
        outputs = [next(found) if isinstance(item, HybridQuery) else item for item in planned]
        for run, output in zip(runs, outputs, strict=True):
            if isinstance(output, Exception):
                run.on_retriever_error(output)
            else:
                run.on_retriever_end(output)
        return _outputs(outputs, return_exceptions=return_exceptions)

    @override
    async def abatch(
        self,
        inputs: list[str],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[list[Document]]:
        """Async `batch`: the batched search runs in a worker thread."""
        search_many = getattr(self.backend, "asearch_many", None)
        if search_many is None or len(inputs) < _MIN_BATCH:
            return await super().abatch(
                inputs, config, return_exceptions=return_exceptions, **kwargs
            )
        configs = get_config_list(config, len(inputs))
        runs = [
            await self._async_callback_manager(cfg, kwargs).on_retriever_start(
                None, text, name=cfg.get("run_name") or self.get_name(), run_id=cfg.get("run_id")
            )
            for text, cfg in zip(inputs, configs, strict=True)
        ]
        planned = self._plan_batch(inputs, kwargs)
        queries = [item for item in planned if isinstance(item, HybridQuery)]
        try:
            found = iter(await search_many(queries))
        except Exception as exc:
            for run in runs:
                await run.on_retriever_error(exc)
            if return_exceptions:
                return [exc] * len(inputs)  # type: ignore[list-item]
            raise
        outputs = [next(found) if isinstance(item, HybridQuery) else item for item in planned]
        for run, output in zip(runs, outputs, strict=True):
            if isinstance(output, Exception):
                await run.on_retriever_error(output)
            else:
                await run.on_retriever_end(output)
        return _outputs(outputs, return_exceptions=return_exceptions)

    def _plan_batch(
        self, inputs: list[str], kwargs: Mapping[str, Any]
    ) -> list[HybridQuery | Exception]:
        """Each input's query, or the error that building it raised."""
        return [self._query_or_error(text, kwargs) for text in inputs]

    def _query_or_error(self, text: str, kwargs: Mapping[str, Any]) -> HybridQuery | Exception:
        try:
            return self._build_query(text, kwargs)
        except ConfigError as exc:
            return exc

    def _callback_manager(
        self, config: RunnableConfig, kwargs: Mapping[str, Any]
    ) -> CallbackManager:
        return CallbackManager.configure(**self._callback_settings(config, kwargs))

    def _async_callback_manager(
        self, config: RunnableConfig, kwargs: Mapping[str, Any]
    ) -> AsyncCallbackManager:
        return AsyncCallbackManager.configure(**self._callback_settings(config, kwargs))

    def _callback_settings(
        self, config: RunnableConfig, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        # What BaseRetriever.invoke configures for one run.
        return {
            "inheritable_callbacks": config.get("callbacks"),
            "local_callbacks": None,
            "verbose": bool(kwargs.get("verbose", False)),
            "inheritable_tags": config.get("tags"),
            "local_tags": self.tags,
            "inheritable_metadata": {**(config.get("metadata") or {}), **self._get_ls_params()},
            "local_metadata": self.metadata,
        }

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so many clients do not retry in lockstep."""
        return random.uniform(0, self.retry_backoff * 2**attempt)  # noqa: S311 - not crypto

    # ------------------------------------------------------------------------ writes

    def add_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Add or replace documents in both legs; returns their ids.

        Ids come from `ids`, else `Document.id`, else a new UUID. Re-adding an id
        replaces that document; the same id twice in one call is a `ConfigError`.
        """
        return self.backend.add_documents(documents, ids)

    async def aadd_documents(
        self, documents: Sequence[Document], ids: Sequence[str] | None = None
    ) -> list[str]:
        """Async `add_documents`."""
        return await self.backend.aadd_documents(documents, ids)

    def delete(self, ids: Sequence[str]) -> None:
        """Delete documents by id from both legs; unknown ids are ignored."""
        self.backend.delete(_id_list(ids))

    async def adelete(self, ids: Sequence[str]) -> None:
        """Async `delete`."""
        await self.backend.adelete(_id_list(ids))

    def reconcile(self, *, batch_size: int = 1000) -> ReconcileReport:
        """Bring the local keyword index back in step with the vector store.

        Adds what the store holds and the index lacks, re-indexes what changed, drops
        what the store no longer holds, and returns what it did. Only the local backend
        has a second index to repair (Weaviate's BM25 index is the collection itself).

        Example:
            ```python
            vectorstore.delete(["old-chunk"])  # written around the retriever
            print(retriever.reconcile())  # keyword index reconciled ...: 1 removed
            ```
        """
        return self._local_backend("reconcile").reconcile(batch_size=batch_size)

    def _local_backend(self, action: str) -> LocalBackend:
        if not isinstance(self.backend, LocalBackend):
            msg = f"{action}: only the local backend has a keyword index beside its store"
            raise ConfigError(msg)
        return self.backend

    # ------------------------------------------------------------------------ constructors

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[Document],
        embedding: Embeddings,
        *,
        ids: Sequence[str] | None = None,
        vectorstore_cls: type[VectorStore] = NumpyVectorStore,
        vectorstore_kwargs: Mapping[str, Any] | None = None,
        keyword_engine: str = "tantivy",
        keyword_params: Mapping[str, Any] | None = None,
        analyzer: Analyzer | None = None,
        vector_score_fn: ScoreFn | None = None,
        **fields: Any,
    ) -> HybridRetriever:
        """Index documents in a new keyword index and a new vector store.

        Args:
            documents: the documents to index.
            embedding: the embedding model of the vector leg.
            ids: one id per document (default: `Document.id`, else a new UUID).
            vectorstore_cls: vector store class, created with `vectorstore_cls(embedding=...)`.
                The default, `NumpyVectorStore`, is an exact cosine search in numpy, much
                faster than `InMemoryVectorStore` (which also works).
            vectorstore_kwargs: more constructor arguments for the vector store.
            keyword_engine: `"tantivy"` (default) or `"rank_bm25"`.
            keyword_params: engine options (e.g. `{"variant": "bm25plus"}` for rank_bm25).
            analyzer: text analysis (default: `Analyzer.english()`, English stemming;
                `Analyzer.weaviate()` ranks as Weaviate does, `Analyzer.for_language(...)`
                stems another language).
            vector_score_fn: override of the store's score -> similarity conversion.
            **fields: retriever fields (`alpha`, `k`, `fusion`, `filter`, ...).

        Example:
            ```python
            retriever = HybridRetriever.from_documents(docs, embeddings, alpha=0.4, k=5)
            ```
        """
        try:
            store = vectorstore_cls(embedding=embedding, **(vectorstore_kwargs or {}))  # type: ignore[call-arg]
        except TypeError as exc:
            msg = (
                f"could not create {vectorstore_cls.__name__}(embedding=..., "
                f"**vectorstore_kwargs): {exc}. Create the store yourself and wrap it: "
                "HybridVectorStore(store).as_retriever(...)."
            )
            raise ConfigError(msg) from exc
        keyword = create_keyword_index(
            keyword_engine, analyzer or default_local_analyzer(), **(keyword_params or {})
        )
        backend = LocalBackend(keyword, VectorLeg(store, vector_score_fn))
        retriever = cls(backend=backend, **fields)
        retriever.add_documents(documents, ids)
        return retriever

    @classmethod
    def from_vectorstore(
        cls,
        vectorstore: VectorStore,
        documents: Sequence[Document] | None = None,
        *,
        ids: Sequence[str] | None = None,
        keyword_index: KeywordIndex | str | Path | None = None,
        keyword_engine: str = "tantivy",
        keyword_params: Mapping[str, Any] | None = None,
        analyzer: Analyzer | None = None,
        vector_score_fn: ScoreFn | None = None,
        on_drift: OnDrift = "raise",
        show_progress: bool | None = None,
        **fields: Any,
    ) -> HybridRetriever:
        """Add a keyword leg to an existing vector store: the drop-in for `as_retriever()`.

        The vector store is used as it is (its documents are not re-embedded) and stays
        the source of truth. The keyword index is built from the store's own contents
        (InMemoryVectorStore, NumpyVectorStore, Chroma, FAISS, or any store given to
        `register_id_lister`), or from `documents` (for a store that cannot list its
        own; their ids must be in the store), or is an existing index / the path of a
        saved one, checked against the store (`on_drift`). To keep the keyword index
        in step with later writes, write through `HybridVectorStore(vectorstore)`
        instead, whose `as_retriever()` returns this retriever.

        A `langchain_weaviate.WeaviateVectorStore` is detected and searched with
        Weaviate's native hybrid query instead (no local keyword index; note that its own
        `as_retriever()` is a hybrid query at Weaviate's default alpha 0.75, while this
        retriever's default is 0.5).

        Args:
            vectorstore: the existing vector store (or a `HybridVectorStore`).
            documents: the documents in the store, for a store that cannot list them.
            ids: their ids in the store (default: `Document.id`).
            keyword_index: a `KeywordIndex`, or the path of an index saved with
                `save_keyword_index`.
            keyword_engine: engine for a new keyword index (`"tantivy"`, `"rank_bm25"`,
                `"exact"`).
            keyword_params: options of that engine.
            analyzer: text analysis of a new keyword index (default: `Analyzer.english()`;
                `Analyzer.weaviate()` for Weaviate's unstemmed analysis).
            vector_score_fn: override of the store's score -> similarity conversion.
            on_drift: when `keyword_index` differs from the store: `"raise"`
                (`IndexDriftError`), `"reconcile"` or `"ignore"`.
            show_progress: print progress to stderr while reading the store (`None`:
                only for stores of 50,000 documents or more).
            **fields: retriever fields (`alpha`, `k`, `fusion`, `filter`, `search_kwargs`).

        Example:
            ```python
            retriever = HybridRetriever.from_vectorstore(vectorstore, alpha=0.5)
            ```
        """
        if type(vectorstore).__module__.split(".", 1)[0] == "langchain_weaviate":
            # Imported here: the Weaviate client costs seconds at import time.
            from langchain_hybrid.backends.weaviate import (  # noqa: PLC0415
                backend_from_weaviate_vectorstore,
            )

            if documents is not None or keyword_index is not None:
                msg = (
                    "a WeaviateVectorStore is searched with Weaviate's native hybrid query: "
                    "its documents are already indexed there; drop documents= / keyword_index="
                )
                raise ConfigError(msg)
            return cls(backend=backend_from_weaviate_vectorstore(vectorstore), **fields)
        from langchain_hybrid.hybrid_store import HybridVectorStore  # noqa: PLC0415 - it imports us

        if isinstance(vectorstore, HybridVectorStore):
            if documents is not None or keyword_index is not None:
                msg = "a HybridVectorStore has its keyword index: drop documents= / keyword_index="
                raise ConfigError(msg)
            return cls(backend=vectorstore.backend, **fields)
        keyword = keyword_index_for(
            vectorstore,
            documents=documents,
            ids=ids,
            keyword_index=keyword_index,
            keyword_engine=keyword_engine,
            keyword_params=keyword_params,
            analyzer=analyzer,
            on_drift=on_drift,
            show_progress=show_progress,
        )
        return cls(backend=LocalBackend(keyword, VectorLeg(vectorstore, vector_score_fn)), **fields)

    @classmethod
    def from_weaviate(
        cls,
        client: WeaviateClient | WeaviateAsyncClient,
        collection_name: str,
        embedding: Embeddings,
        *,
        text_key: str = "text",
        tenant: str | None = None,
        create: bool = True,
        replication_factor: int | None = None,
        shards: int | None = None,
        consistency_level: str | None = None,
        backend_kwargs: Mapping[str, Any] | None = None,
        **fields: Any,
    ) -> HybridRetriever:
        """Search a Weaviate collection with Weaviate's native hybrid query.

        Args:
            client: a connected `weaviate.WeaviateClient`, or a `WeaviateAsyncClient`
                (then use `ainvoke`, `aadd_documents`, `adelete`).
            collection_name: the collection; created with a suitable schema if missing
                and `create` is true, and checked against that schema if it exists.
            embedding: the model that embeds queries (and documents you add).
            text_key: the text property searched by BM25 and returned as `page_content`.
            tenant: the tenant of a multi-tenant collection.
            create: create the collection when it does not exist.
            replication_factor: copies of every object in a new collection on a cluster
                (checked on an existing one); `None`: the server's default.
            shards: shards of a new collection (checked on an existing one).
            consistency_level: `"ONE"`, `"QUORUM"` or `"ALL"` for searches and writes
                (`None`: the server's, `QUORUM`); per search: `invoke(q, consistency_level=...)`.
            backend_kwargs: more `WeaviateBackend` options (`id_property`, `bm25_k1`, ...).
            **fields: retriever fields (`alpha`, `k`, `fusion`, `filter`, `search_kwargs`).

        Example:
            ```python
            import weaviate

            client = weaviate.connect_to_local()
            retriever = HybridRetriever.from_weaviate(client, "Docs", embeddings, alpha=0.5)
            retriever.add_documents(docs)
            retriever.invoke("error E1234", query_properties=["text^2", "title"])
            ```
        """
        from langchain_hybrid.backends.weaviate import WeaviateBackend  # noqa: PLC0415 - see above

        backend = WeaviateBackend(
            client,
            collection_name,
            embedding,
            text_key=text_key,
            tenant=tenant,
            create=create,
            replication_factor=replication_factor,
            shards=shards,
            consistency_level=consistency_level,
            **(backend_kwargs or {}),
        )
        return cls(backend=backend, **fields)

    def save_keyword_index(self, path: str | Path) -> None:
        """Save the local keyword index to a directory, atomically (see `persistence`).

        The save records what the index holds, so loading it over a store that changed
        since (`from_vectorstore(store, keyword_index=path)`) is detected.
        """
        save_keyword_index(self._local_backend("save_keyword_index").keyword, path)


def _outputs(
    outputs: list[list[Document] | Exception], *, return_exceptions: bool
) -> list[list[Document]]:
    """Batch outputs as `Runnable.batch` returns them: errors in place, or the first raised."""
    if not return_exceptions:
        for output in outputs:
            if isinstance(output, Exception):
                raise output
    return outputs  # type: ignore[return-value]


def _id_list(ids: Sequence[str]) -> list[str]:
    if isinstance(ids, str):
        msg = f"ids must be a list of ids, not a single string: use [{ids!r}]"
        raise ConfigError(msg)
    return list(ids)


def _fold_search_kwargs(
    data: dict[str, Any], field_options: frozenset[str], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Move `search_kwargs` keys that name a field into that field.

    So that "fields > search_kwargs" holds for fields set later (`configurable_fields`
    rebuilds the retriever from all of its fields), and a contradiction at construction
    is an error instead of a silent winner. A field passed at its default value, or one
    that an earlier `search_kwargs` set, yields to `search_kwargs`.
    """
    search_kwargs = data.get("search_kwargs")
    if not isinstance(search_kwargs, Mapping):
        return data
    named = field_options & set(search_kwargs)
    if not named:
        return data
    earlier = frozenset(data.get("fields_from_search_kwargs", ()))
    folded = dict(data)
    for name in sorted(named):
        value = search_kwargs[name]
        given = data.get(name, fields[name].default)
        if name not in earlier and given not in (fields[name].default, value):
            msg = (
                f"{name}={given!r} and search_kwargs={{{name!r}: {value!r}}} disagree; "
                f"set {name} in one place"
            )
            raise ConfigError(msg)
        folded[name] = value
    folded["search_kwargs"] = {k: v for k, v in search_kwargs.items() if k not in named}
    folded["fields_from_search_kwargs"] = earlier | named
    return folded
