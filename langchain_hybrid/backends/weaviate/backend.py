"""`WeaviateBackend`: Weaviate's native hybrid query, behind `HybridRetriever`.

One `collection.query.hybrid` call per search: Weaviate runs BM25 and the vector search
and fuses them itself (the formulas the local backend reproduces, DESIGN.md section 2).
The backend is thin: every search is `plan.plan_hybrid` (pure) -> one `hybrid()` call ->
`plan.to_documents` (pure), and every write `ingest.prepare_documents` (pure) -> the
batched requests -> the `IngestError` of what failed. The modules beside it:

- `plan`: a `HybridQuery` -> the `hybrid()` arguments; result objects -> documents;
- `options`: validates the query and the pass-through options, checks the server version;
- `filters`: translates the backend-neutral filter to a `weaviate.classes.query.Filter`;
- `errors`: maps every weaviate-client exception to this package's tree
  (`langchain_hybrid.errors`) -- the only place that happens;
- `schema`: the collection the backend creates, and the check of an existing one;
- `ingest`: documents -> objects, and the batched writes;
- `explain`: parses `explain_score` into per-leg evidence;
- `client_fusion`: the fusion methods the server lacks, fused in Python;
- `steps`: runs one operation with a sync or an async client;
- `vectorstore`: a backend on the collection of a `langchain_weaviate` vector store.

Each operation is written once, as steps (`steps.run_sync` / `steps.run_async`): with a
`weaviate.WeaviateClient` the sync methods run them; with a `weaviate.WeaviateAsyncClient`
(as `client`, or as `async_client` next to a sync one) `ainvoke` / `aadd_documents` /
`adelete` await them and never block the event loop. Without an async client the async
methods run the sync path in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

from typing_extensions import override
from weaviate import WeaviateAsyncClient, WeaviateClient
from weaviate.classes.config import ConsistencyLevel
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter
from weaviate.classes.tenants import Tenant
from weaviate.exceptions import WeaviateBaseError

from langchain_hybrid.backends.base import HybridBackend, assign_ids
from langchain_hybrid.backends.weaviate import client_fusion
from langchain_hybrid.backends.weaviate.errors import (
    ReplicaHealth,
    map_weaviate_error,
    replica_health,
    server_address,
)
from langchain_hybrid.backends.weaviate.ingest import (
    PreparedBatch,
    insert_steps,
    object_uuid,
    prepare_documents,
)
from langchain_hybrid.backends.weaviate.options import (
    WEAVIATE_OPTIONS,
    int_at_least,
    parse_version,
)
from langchain_hybrid.backends.weaviate.options import (
    consistency_level as to_consistency_level,
)
from langchain_hybrid.backends.weaviate.plan import (
    Plan,
    needs_refresh,
    object_id,
    plan_hybrid,
    request_level,
    to_documents,
)
from langchain_hybrid.backends.weaviate.schema import (
    CollectionInfo,
    CollectionSpec,
    collection_info,
    new_property,
    schema_differences,
)
from langchain_hybrid.backends.weaviate.steps import Concurrent, Steps, run_async, run_sync
from langchain_hybrid.errors import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    HybridSearchError,
    IngestError,
    SchemaMismatchError,
)
from langchain_hybrid.fusion import legs_for

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from weaviate.collections import Collection, CollectionAsync
    from weaviate.collections.classes.config import CollectionConfig
    from weaviate.collections.classes.filters import FilterReturn

    from langchain_hybrid._types import HybridQuery

__all__ = ["WeaviateBackend"]

_DELETE_CHUNK: Final = 1000  # ids per delete_many request (a server allows up to 10,000)

AnyClient: TypeAlias = WeaviateClient | WeaviateAsyncClient


def _split_clients(
    client: object, async_client: object
) -> tuple[WeaviateClient | None, WeaviateAsyncClient | None]:
    """The sync and async client of the backend, checked (callers may pass anything)."""
    if async_client is not None and not isinstance(async_client, WeaviateAsyncClient):
        msg = f"async_client must be a WeaviateAsyncClient, got {type(async_client).__name__}"
        raise ConfigError(msg)
    if isinstance(client, WeaviateAsyncClient):
        return None, async_client or client
    if isinstance(client, WeaviateClient):
        return client, async_client
    msg = (
        "client must be a weaviate.WeaviateClient or WeaviateAsyncClient (weaviate-client v4), "
        f"got {type(client).__name__}"
    )
    raise ConfigError(msg)


def _size(vector: list[float] | None) -> int | None:
    return None if vector is None else len(vector)


# ---------------------------------------------------------------------------- backend


class WeaviateBackend(HybridBackend):
    """Weaviate's native hybrid search (BM25 + vector, fused on the server).

    The collection holds one object per document: the text in `text_key`, the document
    id in `id_property` (the object UUID is derived from it), the metadata as properties,
    and the vector from `embedding`. A missing collection is created (`create=True`) with
    the schema of `CollectionSpec`; an existing one must match it (`verify_schema=True`),
    else `SchemaMismatchError` lists what differs.

    Per-call options (`invoke(query, **options)` or `search_kwargs`): `query_properties`
    (default `[text_key]`; `"title^2"` boosts), `bm25_operator` (`"and"`, `"or"`,
    `{"operator": "or", "minimum_should_match": 2}`), `max_vector_distance` (note that
    Weaviate then also drops keyword hits beyond that distance), `target_vector`,
    `tenant`, `auto_limit`, `offset`, `return_properties`, `consistency_level`.

    On a cluster: `replication_factor` and `shards` shape a new collection (and are
    checked on an existing one); `consistency_level` (`"ONE"`, `"QUORUM"`, `"ALL"`; default
    the server's, `QUORUM`) applies to searches and writes, and can be changed per search
    (`invoke(query, consistency_level="ONE")`) and per write (`add_documents(...,
    consistency_level="ALL")` on the backend). A level the cluster cannot meet is a
    `ConsistencyError` that names it, the replicas it needs and those that answered.

    What Weaviate fixes on the server: ranked fusion's constant is 60 (another
    `rank_constant` is a `ConfigError`); each leg fetches `max(100, limit)` results, so
    `fetch_k` below that is a `ConfigError`, and a larger `fetch_k` is honoured by asking
    for `fetch_k` results and keeping the best `k`. Callable filters are local only.

    Score metadata comes from Weaviate's `explain_score`: under relative-score fusion
    `keyword_score` / `vector_score` (BM25, similarity `1 - distance`) are reported and
    the ranks are `None`; under ranked fusion the ranks are reported and the raw scores
    are `None` (Weaviate does not send them). Contributions and `hybrid_score` are always
    there.

    Setup:
        ```bash
        docker compose up -d  # Weaviate on localhost:8080 / 50051
        ```

    Instantiate:
        ```python
        import weaviate
        from langchain_core.embeddings import DeterministicFakeEmbedding
        from langchain_hybrid import HybridRetriever
        from langchain_hybrid.backends.weaviate import WeaviateBackend

        client = weaviate.connect_to_local()
        backend = WeaviateBackend(client, "Docs", DeterministicFakeEmbedding(size=16))
        retriever = HybridRetriever(backend=backend, alpha=0.5, k=2)
        ```

    Add documents (deterministic UUIDs: adding again replaces):
        ```python
        from langchain_core.documents import Document

        retriever.add_documents(
            [
                Document("error E1234 in the parser", metadata={"year": 2024}),
                Document("the cat sat on the mat", metadata={"year": 2021}),
            ],
            ids=["a", "b"],
        )
        ```

    Search (per-call options go to `collection.query.hybrid`):
        ```python
        doc = retriever.invoke("E1234", bm25_operator="and", filter={"year": {"$gte": 2020}})[0]
        print(doc.id, doc.metadata)
        ```
        ```
        a {'year': 2024, 'hybrid_score': 0.5, 'keyword_score': 0.32723686, 'keyword_rank': None,
           'keyword_contribution': 0.5, 'vector_score': -0.3950808, 'vector_rank': None,
           'vector_contribution': 0.0, 'alpha': 0.5, 'fusion': 'relative_score'}
        ```

    Async (with `weaviate.use_async_with_local()`, connected):
        ```python
        backend = WeaviateBackend(async_client, "Docs", embeddings)
        await HybridRetriever(backend=backend).ainvoke("E1234")
        ```
    """

    option_names: ClassVar[frozenset[str]] = WEAVIATE_OPTIONS

    def __init__(
        self,
        client: AnyClient,
        collection_name: str,
        embedding: Embeddings,
        *,
        text_key: str = "text",
        id_property: str | None = "doc_id",
        tenant: str | None = None,
        create: bool = True,
        verify_schema: bool = True,
        tokenization: str = "word",
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
        stopwords_preset: str = "en",
        batch_size: int = 100,
        concurrent_requests: int = 2,
        progress: Callable[[int, int], None] | None = None,
        async_client: WeaviateAsyncClient | None = None,
        replication_factor: int | None = None,
        shards: int | None = None,
        consistency_level: str | None = None,
    ) -> None:
        """Point the backend at a collection; with a sync client, check it now.

        Args:
            client: a connected `WeaviateClient`, or a `WeaviateAsyncClient` (then only
                the async methods work, and the collection is checked on first use).
            collection_name: the collection (Weaviate capitalises its first letter).
            embedding: embeds queries and documents; its vectors are sent to Weaviate.
            text_key: property holding the page content.
            id_property: property holding the document id (`None`: ids are object UUIDs).
            tenant: tenant of a multi-tenant collection for writes and default searches
                (per call: `invoke(..., tenant=...)`). With `create`, a missing tenant
                (and a missing collection, multi-tenant) is created.
            create: create the collection (and tenant) when missing, else
                `CollectionNotFoundError`.
            verify_schema: refuse an existing collection whose schema differs from
                `CollectionSpec` (`SchemaMismatchError`); `False` uses it as it is.
            tokenization: tokenisation of the text property of a new collection.
            bm25_k1: BM25 `k1` of a new collection (and expected of an existing one).
            bm25_b: BM25 `b`, likewise.
            stopwords_preset: query stopwords (`"en"` or `"none"`), likewise.
            batch_size: objects per insert request.
            concurrent_requests: insert requests in flight at a time, after the first
                request of each `add_documents` (weaviate-client's batch import
                sends 2 too); 1 sends one after the other.
            progress: called as `progress(done, total)` after each insert request of
                `add_documents`, with the objects handled so far (written or refused)
                and the objects of the call; e.g. a progress bar's update.
            async_client: a connected `WeaviateAsyncClient` for the async methods, when
                `client` is a sync client.
            replication_factor: copies of every object, for a new collection on a
                cluster (at most the number of nodes); an existing collection must have
                it. `None`: the server's default (1), any on an existing collection.
            shards: shards of a new collection (`None`: one per node, Weaviate's
                default); an existing collection must have that many.
            consistency_level: `"ONE"`, `"QUORUM"` or `"ALL"` for searches and writes
                (`None`: the server's default, `QUORUM`).

        Raises:
            ServerUnavailableError: the server cannot be reached (sync client).
            CollectionNotFoundError: collection or tenant missing and `create=False`.
            SchemaMismatchError: the existing collection does not fit.
            ConfigError: an invalid argument.
        """
        sync_client, async_client = _split_clients(client, async_client)
        if not isinstance(collection_name, str) or not re.fullmatch(
            r"[A-Za-z][_0-9A-Za-z]*", collection_name
        ):
            msg = f"collection_name must match [A-Za-z][_0-9A-Za-z]*, got {collection_name!r}"
            raise ConfigError(msg)
        if tenant is not None and (not isinstance(tenant, str) or not tenant):
            msg = f"tenant must be a non-empty string or None, got {tenant!r}"
            raise ConfigError(msg)
        int_at_least("batch_size", batch_size, minimum=1)
        int_at_least("concurrent_requests", concurrent_requests, minimum=1)
        self.spec = CollectionSpec(
            text_key=text_key,
            id_property=id_property,
            tokenization=tokenization,
            bm25_k1=bm25_k1,
            bm25_b=bm25_b,
            stopwords_preset=stopwords_preset,
            replication_factor=replication_factor,
            shards=shards,
        )
        self.consistency_level: str | None = (
            None if consistency_level is None else to_consistency_level(consistency_level).value
        )
        """Consistency level of searches and writes (`None`: the server's, `QUORUM`)."""
        # Weaviate stores class names with a capital first letter.
        self.collection_name = collection_name[0].upper() + collection_name[1:]
        self.embedding = embedding
        self.tenant = tenant
        self.batch_size = batch_size
        self.concurrent_requests = concurrent_requests
        """Insert requests in flight at a time, after the first one of a write."""
        self.progress = progress
        """Called as `progress(done, total)` after each insert request (`None`: not)."""
        self._client = sync_client
        self._async_client = async_client
        self._create = create
        self._verify = verify_schema
        self._info = CollectionInfo()
        self._server_version: tuple[int, int, int] | None = None
        # Writers that add metadata properties take the lock of their client's kind.
        self._schema_lock = threading.Lock()
        self._async_lock = asyncio.Lock()
        self._async_ready = False
        if sync_client is not None:
            run_sync(self._setup(sync_client))

    @property
    def client(self) -> WeaviateClient | None:
        """The sync client (`None` when built on an async client only)."""
        return self._client

    @property
    def async_client(self) -> WeaviateAsyncClient | None:
        """The async client, if any."""
        return self._async_client

    @property
    def server(self) -> str:
        """The server's address, as error messages name it."""
        return server_address(self._client or self._async_client)

    @property
    def server_version(self) -> tuple[int, int, int] | None:
        """The connected server's version, once known."""
        return self._server_version

    # ------------------------------------------------------------------------ search

    @override
    def search(self, query: HybridQuery) -> list[Document]:
        """Run one hybrid query and return at most `query.k` documents, best first.

        Raises:
            ConfigError: an option Weaviate cannot honour (see the class docstring).
            ServerUnavailableError: the server cannot be reached (weaviate-client retries
                an unreachable server for about a minute first).
            CollectionNotFoundError: the collection or the tenant is missing.
            SchemaMismatchError: the query vector's length differs from the collection's.
        """
        return run_sync(self._search(self._require_sync("search"), query))

    @override
    async def asearch(self, query: HybridQuery) -> list[Document]:
        """Async `search`: awaits the async client (or runs `search` in a worker thread)."""
        client = self._async_client
        if client is None:
            return await asyncio.to_thread(self.search, query)
        await self._aready(client)
        return await run_async(self._search(client, query))

    def _search(self, client: AnyClient, query: HybridQuery) -> Steps[list[Document]]:
        """Plan, one `hybrid()` call, decode (two calls when the fusion is done here)."""
        if needs_refresh(query, self._info):
            yield from self._refresh(client)
        if client_fusion.needs_client_fusion(query):  # dbsf, zscore, l2: fused in Python
            return (yield from self._search_legs(client, query))
        plan = self._plan(query)
        if plan.matches_nothing:
            return []
        runs_vector = legs_for(query.alpha).vector
        vector = (yield self._embed_query(client, query.text)) if runs_vector else None
        collection = self._collection(client, plan.tenant, plan.consistency_level)
        try:
            response = yield collection.query.hybrid(**plan.kwargs, vector=vector)
        except WeaviateBaseError as exc:
            replicas = yield from self._replicas(client, plan.consistency_level)
            raise self._error(
                exc,
                "hybrid query",
                tenant=plan.tenant,
                vector_size=_size(vector),
                replicas=replicas,
            ) from exc
        return to_documents(response.objects, query, self.spec)

    def _search_legs(self, client: AnyClient, query: HybridQuery) -> Steps[list[Document]]:
        """A fusion the server lacks: each leg as its own hybrid query, fused in Python."""
        plan = self._plan(client_fusion.server_query(query))
        if plan.matches_nothing:
            return []
        legs = client_fusion.leg_kwargs(plan, query)
        runs_vector = legs_for(query.alpha).vector
        vector = (yield self._embed_query(client, query.text)) if runs_vector else None
        collection = self._collection(client, plan.tenant, plan.consistency_level)
        try:
            responses = yield Concurrent(
                collection.query.hybrid(**kwargs, vector=vector if kwargs["alpha"] > 0 else None)
                for kwargs in legs.values()
            )
        except WeaviateBaseError as exc:
            raise self._error(
                exc, "hybrid query", tenant=plan.tenant, vector_size=_size(vector)
            ) from exc
        found = {leg: list(r.objects) for leg, r in zip(legs, responses, strict=True)}
        fused = client_fusion.fuse_objects(query, found, lambda obj: object_id(obj, self.spec))
        return client_fusion.fused_documents(fused, query, self.spec)

    def _plan(self, query: HybridQuery) -> Plan:
        return plan_hybrid(
            query,
            self.spec,
            self._info,
            server_version=self._server_version,
            tenant=self.tenant,
            level=self.consistency_level,
        )

    # ------------------------------------------------------------------------ writes

    @override
    def add_documents(
        self,
        documents: Sequence[Document],
        ids: Sequence[str] | None = None,
        *,
        consistency_level: str | None = None,
    ) -> list[str]:
        """Embed and write documents; an id written before is replaced (same UUID).

        Args:
            documents: the documents.
            ids: their ids (default: `Document.id`, else a new UUID).
            consistency_level: `"ONE"`, `"QUORUM"` or `"ALL"` for this write (default:
                the backend's `consistency_level`).

        Returns:
            The ids of the documents, in order.

        Raises:
            IngestError: some documents were not written; `failed` maps each of their
                ids to the reason (invalid metadata, a type conflict with the existing
                property, a vector of the wrong length, too few replicas, ...). All
                others were written.
            ServerUnavailableError: the server cannot be reached (nothing was written).
            ConsistencyError: the cluster could not meet the consistency level (nothing
                was written).
        """
        client = self._require_sync("add_documents")
        level = request_level(consistency_level, self.consistency_level)
        documents = list(documents)
        return run_sync(self._add(client, documents, assign_ids(documents, ids), level))

    @override
    async def aadd_documents(
        self,
        documents: Sequence[Document],
        ids: Sequence[str] | None = None,
        *,
        consistency_level: str | None = None,
    ) -> list[str]:
        """Async `add_documents` (the async client, else a worker thread)."""
        client = self._async_client
        if client is None:
            return await asyncio.to_thread(
                self.add_documents, documents, ids, consistency_level=consistency_level
            )
        level = request_level(consistency_level, self.consistency_level)
        documents = list(documents)
        doc_ids = assign_ids(documents, ids)
        await self._aready(client)
        return await run_async(self._add(client, documents, doc_ids, level))

    def _add(
        self,
        client: AnyClient,
        documents: list[Document],
        doc_ids: list[str],
        level: ConsistencyLevel | None,
    ) -> Steps[list[str]]:
        """Prepare (pure), embed, add missing properties, insert in batches."""
        if not documents:
            return []
        tenant = self._write_tenant()
        batch = prepare_documents(documents, doc_ids, self.spec, self._info)
        if batch.objects:
            self._with_vectors(batch, (yield self._embed_documents(client, batch.texts)))
            yield from self._add_properties(client, batch)
        collection = self._collection(client, tenant, level)

        def on_error(exc: WeaviateBaseError) -> Steps[HybridSearchError]:
            replicas = yield from self._replicas(client, level)
            return self._error(exc, "insert", tenant=tenant, replicas=replicas)

        try:
            yield from insert_steps(
                collection.data.insert_many,
                batch,
                batch_size=self.batch_size,
                concurrency=self.concurrent_requests,
                progress=self.progress,
                order=doc_ids,
                on_error=on_error,
            )
        except IngestError as exc:
            mapped = self._ingest_failed(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return doc_ids

    @override
    def delete(self, ids: Sequence[str], *, consistency_level: str | None = None) -> None:
        """Delete documents by id (through their deterministic UUIDs); unknown ids are ignored.

        Args:
            ids: the ids to delete.
            consistency_level: `"ONE"`, `"QUORUM"` or `"ALL"` for this write (default:
                the backend's `consistency_level`).

        Raises:
            BackendError: Weaviate reported objects it could not delete.
            ConsistencyError: the cluster could not meet the consistency level.
        """
        client = self._require_sync("delete")
        level = request_level(consistency_level, self.consistency_level)
        run_sync(self._delete(client, ids, level))

    @override
    async def adelete(self, ids: Sequence[str], *, consistency_level: str | None = None) -> None:
        """Async `delete`."""
        client = self._async_client
        if client is None:
            await asyncio.to_thread(self.delete, ids, consistency_level=consistency_level)
            return
        level = request_level(consistency_level, self.consistency_level)
        await self._aready(client)
        await run_async(self._delete(client, ids, level))

    def _delete(
        self, client: AnyClient, ids: Sequence[str], level: ConsistencyLevel | None
    ) -> Steps[None]:
        """One `delete_many` per chunk of ids."""
        if not ids:
            return
        tenant = self._write_tenant()
        collection = self._collection(client, tenant, level)
        for where in _delete_filters(ids):
            try:
                result = yield collection.data.delete_many(where=where)
            except WeaviateBaseError as exc:
                replicas = yield from self._replicas(client, level)
                raise self._error(exc, "delete", tenant=tenant, replicas=replicas) from exc
            if result.failed:
                msg = (
                    f"Weaviate failed to delete {result.failed} object(s) of "
                    f"{self.collection_name!r}"
                )
                raise BackendError(msg)

    def _with_vectors(self, batch: PreparedBatch, vectors: list[list[float]]) -> None:
        if len(vectors) != len(batch.objects):
            msg = (
                f"{type(self.embedding).__name__}.embed_documents returned {len(vectors)} "
                f"vectors for {len(batch.objects)} texts; nothing was written"
            )
            raise BackendError(msg)
        # An ndarray (which many embeddings return) becomes Python floats in one call:
        # the client packs those several times faster than numpy scalars.
        tolist = getattr(vectors, "tolist", None)
        rows = tolist() if callable(tolist) else [list(vector) for vector in vectors]
        batch.objects = [
            DataObject(properties=obj.properties, uuid=obj.uuid, vector=row)
            for obj, row in zip(batch.objects, rows, strict=True)
        ]

    def _write_tenant(self) -> str | None:
        if self._info.multi_tenancy and self.tenant is None:
            msg = (
                f"collection {self.collection_name!r} is multi-tenant: build the backend with "
                "tenant= to write into it"
            )
            raise ConfigError(msg)
        return self.tenant

    def _ingest_failed(self, exc: IngestError) -> HybridSearchError:
        """A missing tenant makes every object fail: say so instead of listing them."""
        if exc.failed and all("tenant not found" in r for r in exc.failed.values()):
            return self._missing_tenant()
        return exc

    # ------------------------------------------------------------------------ the collection

    def _setup(self, client: AnyClient) -> Steps[None]:
        """Read the server version; create or verify the collection and tenant."""
        name = self.collection_name
        try:
            meta = yield client.get_meta()
            self._server_version = parse_version(str(meta.get("version", "")))
            if not (yield client.collections.exists(name)):
                if not self._create:
                    raise self._missing()
                arguments = self.spec.create_arguments(multi_tenancy=self.tenant is not None)
                try:
                    yield client.collections.create(name, **arguments)
                except WeaviateBaseError:
                    # Another process may have created it meanwhile: then verify that one.
                    if not (yield client.collections.exists(name)):
                        raise
            collection = client.collections.use(name)
            self._accept_config((yield collection.config.get()))
            if self.tenant is not None and (
                (yield collection.tenants.get_by_name(self.tenant)) is None
            ):
                if not self._create:
                    raise self._missing_tenant()
                yield collection.tenants.create([Tenant(name=self.tenant)])
        except WeaviateBaseError as exc:
            raise self._error(exc, "collection setup", tenant=self.tenant) from exc

    async def _aready(self, client: WeaviateAsyncClient) -> None:
        """Set the collection up once per backend (the first async call waits for it)."""
        async with self._async_lock:
            if not self._async_ready:
                await run_async(self._setup(client))
                self._async_ready = True

    def _accept_config(self, config: CollectionConfig) -> None:
        """Check an existing collection against the spec and remember what it holds."""
        info = collection_info(config)
        problems = schema_differences(config, self.spec) if self._verify else []
        if self.tenant is not None and not info.multi_tenancy:
            problems.append(f"it is not multi-tenant, but tenant={self.tenant!r} was given")
        if problems:
            listed = "\n  - ".join(problems)
            msg = (
                f"collection {self.collection_name!r} on {self.server} does not match what "
                f"the backend needs:\n  - {listed}\nUse another collection name, change the "
                "backend's arguments to match, or pass verify_schema=False to use it as it is."
            )
            raise SchemaMismatchError(msg)
        self._info = info

    def _refresh(self, client: AnyClient) -> Steps[None]:
        """Read the schema again (another writer may have added properties)."""
        try:
            config = yield client.collections.use(self.collection_name).config.get()
        except WeaviateBaseError as exc:
            raise self._error(exc, "schema read") from exc
        self._info = collection_info(config)

    def _add_properties(self, client: AnyClient, batch: PreparedBatch) -> Steps[None]:
        """Add the metadata properties the collection lacks, one writer at a time."""
        lock = self._async_lock if isinstance(client, WeaviateAsyncClient) else self._schema_lock
        yield lock.acquire()  # a sync lock is taken here; an async one is awaited
        try:
            missing = {
                k: v for k, v in batch.new_properties.items() if k not in self._info.properties
            }
            if not missing:
                return
            config = client.collections.use(self.collection_name).config
            for name, data_type in missing.items():
                try:
                    yield config.add_property(new_property(name, data_type))
                except WeaviateBaseError as exc:  # noqa: PERF203 - one request per property
                    # Added by another writer meanwhile: its type is checked on insert.
                    yield from self._refresh(client)
                    if name not in self._info.properties:
                        raise self._error(exc, f"adding property {name!r}") from exc
            self._info = self._info.with_properties(missing)
        finally:
            lock.release()

    def _collection(
        self, client: AnyClient, tenant: str | None, level: ConsistencyLevel | None = None
    ) -> Collection[Any, Any] | CollectionAsync[Any, Any]:
        collection = client.collections.use(self.collection_name)
        collection = collection.with_tenant(tenant) if tenant else collection
        return collection.with_consistency_level(level) if level else collection

    def _embed_query(self, client: AnyClient, text: str) -> Any:
        if isinstance(client, WeaviateAsyncClient):
            return self.embedding.aembed_query(text)
        return self.embedding.embed_query(text)

    def _embed_documents(self, client: AnyClient, texts: list[str]) -> Any:
        if isinstance(client, WeaviateAsyncClient):
            return self.embedding.aembed_documents(texts)
        return self.embedding.embed_documents(texts)

    def _require_sync(self, method: str) -> WeaviateClient:
        if self._client is None:
            msg = (
                f"{method} needs a sync weaviate.WeaviateClient, but this backend was built "
                f"on a WeaviateAsyncClient: use the async method (a{method}, ainvoke, "
                "abatch), or pass a sync client (and async_client= for the async methods)"
            )
            raise ConfigError(msg)
        return self._client

    # ------------------------------------------------------------------------ errors

    def _error(
        self,
        exc: WeaviateBaseError,
        operation: str,
        *,
        tenant: str | None = None,
        vector_size: int | None = None,
        replicas: ReplicaHealth | None = None,
    ) -> HybridSearchError:
        return map_weaviate_error(
            exc,
            server=self.server,
            collection=self.collection_name,
            tenant=tenant,
            operation=operation,
            vector_size=vector_size,
            replicas=replicas,
        )

    def _replicas(
        self, client: AnyClient, level: ConsistencyLevel | None
    ) -> Steps[ReplicaHealth | None]:
        """After a failed request on a replicated collection: which replicas are healthy."""
        if self._info.replication_factor <= 1:
            return None
        try:
            nodes = yield client.cluster.nodes(collection=self.collection_name, output="verbose")
        except WeaviateBaseError:
            return None  # the node we talk to is unreachable: the error says so already
        return replica_health(
            nodes,
            self.collection_name,
            level=(level or ConsistencyLevel.QUORUM).value,
            factor=self._info.replication_factor,
            shards=self._info.shards,
        )

    def _missing(self) -> CollectionNotFoundError:
        return CollectionNotFoundError(
            f"collection {self.collection_name!r} does not exist on {self.server} "
            "(create=False); create it, or pass create=True"
        )

    def _missing_tenant(self) -> CollectionNotFoundError:
        return CollectionNotFoundError(
            f"tenant {self.tenant!r} does not exist in collection {self.collection_name!r} "
            f"on {self.server} (create=False)"
        )


def _delete_filters(ids: Sequence[str]) -> list[FilterReturn]:
    uuids = list(dict.fromkeys(object_uuid(i) for i in ids))
    return [
        Filter.by_id().contains_any(uuids[start : start + _DELETE_CHUNK])
        for start in range(0, len(uuids), _DELETE_CHUNK)
    ]
