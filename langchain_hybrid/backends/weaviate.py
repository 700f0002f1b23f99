"""The Weaviate backend: Weaviate's native hybrid query, behind `HybridRetriever`.

One `collection.query.hybrid` call per search: Weaviate runs BM25 and the vector search
and fuses them itself (the formulas the local backend reproduces, DESIGN.md section 2).
`WeaviateBackend` sets up the collection, sends that call and the writes, and turns
results into documents with the shared score metadata (`langchain_hybrid.results`). It
leans on one private module per job:

- `_weaviate_options`: validates the query and the pass-through options, checks the
  server version;
- `_weaviate_filters`: translates the backend-neutral filter to a
  `weaviate.classes.query.Filter` (pure);
- `_weaviate_errors`: maps every weaviate-client exception to this package's tree
  (`langchain_hybrid.errors`) -- the only place that happens;
- `_weaviate_schema`: creates and checks the collection, prepares and inserts objects;
- `_weaviate_explain`: parses `explain_score` into per-leg evidence.

Sync searches and writes use a `weaviate.WeaviateClient`; with a
`weaviate.WeaviateAsyncClient` (as `client`, or as `async_client` next to a sync one)
`ainvoke` / `aadd_documents` / `adelete` await it and never block the event loop.
Without an async client they run the sync path in a worker thread.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeAlias

from langchain_core.documents import Document
from weaviate import WeaviateAsyncClient, WeaviateClient
from weaviate.classes.config import ConsistencyLevel
from weaviate.classes.data import DataObject
from weaviate.classes.query import Filter, MetadataQuery
from weaviate.classes.tenants import Tenant
from weaviate.exceptions import WeaviateBaseError

from langchain_hybrid._types import FusedHit
from langchain_hybrid.backends import _weaviate_client_fusion as client_fusion
from langchain_hybrid.backends._weaviate_errors import (
    ReplicaHealth,
    map_weaviate_error,
    server_address,
)
from langchain_hybrid.backends._weaviate_explain import parse_explain_score, to_evidence
from langchain_hybrid.backends._weaviate_filters import filter_keys, translate_filter
from langchain_hybrid.backends._weaviate_options import (
    FUSION_TYPES,
    MIN_SERVER_VERSIONS,
    WEAVIATE_OPTIONS,
    Plan,
    check_query,
    check_server_version,
    int_at_least,
    option_kwargs,
    parse_version,
)
from langchain_hybrid.backends._weaviate_options import (
    consistency_level as to_consistency_level,
)
from langchain_hybrid.backends._weaviate_schema import (
    CollectionInfo,
    CollectionSpec,
    PreparedBatch,
    ainsert_objects,
    collection_info,
    insert_objects,
    new_property,
    object_uuid,
    prepare_documents,
    schema_differences,
)
from langchain_hybrid.backends.base import assign_ids
from langchain_hybrid.errors import (
    BackendError,
    CollectionNotFoundError,
    ConfigError,
    HybridSearchError,
    IngestError,
    SchemaMismatchError,
)
from langchain_hybrid.fusion import DEFAULT_LEG_DEPTH
from langchain_hybrid.results import to_document

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings
    from weaviate.collections import Collection, CollectionAsync
    from weaviate.collections.classes.cluster import Node
    from weaviate.collections.classes.config import CollectionConfig
    from weaviate.collections.classes.filters import FilterReturn
    from weaviate.collections.classes.internal import Object

    from langchain_hybrid._types import HybridQuery

__all__ = [
    "MIN_SERVER_VERSIONS",
    "WEAVIATE_OPTIONS",
    "WeaviateBackend",
    "backend_from_weaviate_vectorstore",
    "check_server_version",
    "is_weaviate_vectorstore",
    "map_weaviate_error",
    "translate_filter",
]

_UNREACHABLE_NODE: Final = frozenset({"UNAVAILABLE", "TIMEOUT"})  # node statuses
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


# ---------------------------------------------------------------------------- backend


class WeaviateBackend:
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
        self._client = sync_client
        self._async_client = async_client
        self._create = create
        self._verify = verify_schema
        self._info = CollectionInfo()
        self._server_version: tuple[int, int, int] | None = None
        self._schema_lock = threading.Lock()
        self._async_lock = asyncio.Lock()
        self._async_ready = False
        if sync_client is not None:
            self._prepare(sync_client)

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

    # ------------------------------------------------------------------------ setup

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

    def _level(self, level: object) -> ConsistencyLevel | None:
        """The level of one request: `level` if given, else the backend's field."""
        chosen = level if level is not None else self.consistency_level
        return None if chosen is None else to_consistency_level(chosen)

    def _replica_health(
        self, nodes: Sequence[Node[Any, Any]], level: ConsistencyLevel | None
    ) -> ReplicaHealth:
        live: dict[str, int] = {}
        down: dict[str, str] = {}
        for node in nodes:
            if node.status != "HEALTHY":
                down[node.name] = node.status
            if node.status in _UNREACHABLE_NODE:
                continue
            # A reachable node serves its replicas, even when UNHEALTHY (e.g. no leader).
            for shard in node.shards or []:
                if shard.collection == self.collection_name:
                    live[shard.name] = live.get(shard.name, 0) + 1
        return ReplicaHealth(
            level=(level or ConsistencyLevel.QUORUM).value,
            factor=self._info.replication_factor,
            shards=self._info.shards,
            live_replicas=live,
            down=down,
        )

    def _replicas(
        self, client: WeaviateClient, level: ConsistencyLevel | None
    ) -> ReplicaHealth | None:
        """After a failed request on a replicated collection: which replicas are healthy."""
        if self._info.replication_factor <= 1:
            return None
        try:
            nodes = client.cluster.nodes(collection=self.collection_name, output="verbose")
        except WeaviateBaseError:
            return None  # the node we talk to is unreachable: the error says so already
        return self._replica_health(nodes, level)

    async def _areplicas(
        self, client: WeaviateAsyncClient, level: ConsistencyLevel | None
    ) -> ReplicaHealth | None:
        """Async `_replicas`."""
        if self._info.replication_factor <= 1:
            return None
        try:
            nodes = await client.cluster.nodes(collection=self.collection_name, output="verbose")
        except WeaviateBaseError:
            return None
        return self._replica_health(nodes, level)

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

    def _prepare(self, client: WeaviateClient) -> None:
        """Read the server version; create or verify the collection and tenant."""
        try:
            self._server_version = parse_version(str(client.get_meta().get("version", "")))
            if not client.collections.exists(self.collection_name):
                if not self._create:
                    raise self._missing()
                try:
                    client.collections.create(
                        self.collection_name,
                        **self.spec.create_arguments(multi_tenancy=self.tenant is not None),
                    )
                except WeaviateBaseError:
                    # Another process may have created it meanwhile: then verify that one.
                    if not client.collections.exists(self.collection_name):
                        raise
            collection = client.collections.use(self.collection_name)
            self._accept_config(collection.config.get())
            if self.tenant is not None and collection.tenants.get_by_name(self.tenant) is None:
                if not self._create:
                    raise self._missing_tenant()
                collection.tenants.create([Tenant(name=self.tenant)])
        except WeaviateBaseError as exc:
            raise self._error(exc, "collection setup", tenant=self.tenant) from exc

    async def _aprepare(self, client: WeaviateAsyncClient) -> None:
        """Async `_prepare`, once per backend (the first async call waits for it)."""
        async with self._async_lock:
            if self._async_ready:
                return
            try:
                meta = await client.get_meta()
                self._server_version = parse_version(str(meta.get("version", "")))
                if not await client.collections.exists(self.collection_name):
                    if not self._create:
                        raise self._missing()
                    try:
                        await client.collections.create(
                            self.collection_name,
                            **self.spec.create_arguments(multi_tenancy=self.tenant is not None),
                        )
                    except WeaviateBaseError:
                        if not await client.collections.exists(self.collection_name):
                            raise
                collection = client.collections.use(self.collection_name)
                self._accept_config(await collection.config.get())
                if (
                    self.tenant is not None
                    and await collection.tenants.get_by_name(self.tenant) is None
                ):
                    if not self._create:
                        raise self._missing_tenant()
                    await collection.tenants.create([Tenant(name=self.tenant)])
            except WeaviateBaseError as exc:
                raise self._error(exc, "collection setup", tenant=self.tenant) from exc
            self._async_ready = True

    def _require_sync(self, method: str) -> WeaviateClient:
        if self._client is None:
            msg = (
                f"{method} needs a sync weaviate.WeaviateClient, but this backend was built "
                f"on a WeaviateAsyncClient: use the async method (a{method}, ainvoke, "
                "abatch), or pass a sync client (and async_client= for the async methods)"
            )
            raise ConfigError(msg)
        return self._client

    def _collection(
        self, client: WeaviateClient, tenant: str | None, level: ConsistencyLevel | None = None
    ) -> Collection[Any, Any]:
        collection = client.collections.use(self.collection_name)
        collection = collection.with_tenant(tenant) if tenant else collection
        return collection.with_consistency_level(level) if level else collection

    def _acollection(
        self, client: WeaviateAsyncClient, tenant: str | None, level: ConsistencyLevel | None = None
    ) -> CollectionAsync[Any, Any]:
        collection = client.collections.use(self.collection_name)
        collection = collection.with_tenant(tenant) if tenant else collection
        return collection.with_consistency_level(level) if level else collection

    # ------------------------------------------------------------------------ search

    def _plan(self, query: HybridQuery, info: CollectionInfo) -> Plan:
        """Validate the query and build the `hybrid()` arguments (without the vector)."""
        check_query(query)
        options = dict(query.options or {})
        for option, value in options.items():
            if value is not None and self._server_version is not None:
                check_server_version(option, self._server_version)
        kwargs = option_kwargs(options, self.spec)
        tenant = options.get("tenant") or self.tenant
        level = self._level(options.get("consistency_level"))
        # A fetch_k beyond Weaviate's default depth is reached by asking for fetch_k
        # results: each leg then fetches max(100, limit) = fetch_k.
        default_depth = max(DEFAULT_LEG_DEPTH, query.k)
        limit = query.fetch_k if query.fetch_k > default_depth else query.k
        if limit > query.k and "auto_limit" in kwargs:
            msg = (
                "auto_limit cannot be combined with a fetch_k above "
                f"{default_depth} on Weaviate (autocut would see the deeper list)"
            )
            raise ConfigError(msg)
        kwargs.update(
            query=query.text,
            alpha=query.alpha,
            fusion_type=FUSION_TYPES[query.fusion],
            limit=limit,
            return_metadata=MetadataQuery(score=True, explain_score=True),
        )
        if query.filter is not None:
            translated = translate_filter(query.filter, info)
            if translated is False:
                return Plan(kwargs, tenant, limit, matches_nothing=True, consistency_level=level)
            if translated is not True:
                kwargs["filters"] = translated
        return Plan(kwargs, tenant, limit, consistency_level=level)

    def _needs_refresh(self, query: HybridQuery) -> bool:
        """Whether the filter names keys the cached schema does not know (yet)."""
        return query.filter is not None and not filter_keys(query.filter) <= set(
            self._info.properties
        )

    def search(self, query: HybridQuery) -> list[Document]:
        """Run one hybrid query and return at most `query.k` documents, best first.

        Raises:
            ConfigError: an option Weaviate cannot honour (see the class docstring).
            ServerUnavailableError: the server cannot be reached (weaviate-client retries
                an unreachable server for about a minute first).
            CollectionNotFoundError: the collection or the tenant is missing.
            SchemaMismatchError: the query vector's length differs from the collection's.
        """
        client = self._require_sync("search")
        if self._needs_refresh(query):
            self._refresh(client)
        if client_fusion.needs_client_fusion(query):  # dbsf, zscore, l2: fused in Python
            return client_fusion.search(self, client, query)
        plan = self._plan(query, self._info)
        if plan.matches_nothing:
            return []
        vector = self.embedding.embed_query(query.text) if query.alpha > 0 else None
        try:
            response = self._collection(client, plan.tenant, plan.consistency_level).query.hybrid(
                **plan.kwargs, vector=vector
            )
        except WeaviateBaseError as exc:
            replicas = self._replicas(client, plan.consistency_level)
            raise self._error(
                exc,
                "hybrid query",
                tenant=plan.tenant,
                vector_size=_size(vector),
                replicas=replicas,
            ) from exc
        return self._documents(response.objects, query)

    async def asearch(self, query: HybridQuery) -> list[Document]:
        """Async `search`: awaits the async client (or runs `search` in a worker thread)."""
        client = self._async_client
        if client is None:
            return await asyncio.to_thread(self.search, query)
        await self._aprepare(client)
        if self._needs_refresh(query):
            await self._arefresh(client)
        if client_fusion.needs_client_fusion(query):
            return await client_fusion.asearch(self, client, query)
        plan = self._plan(query, self._info)
        if plan.matches_nothing:
            return []
        vector = await self.embedding.aembed_query(query.text) if query.alpha > 0 else None
        collection = self._acollection(client, plan.tenant, plan.consistency_level)
        try:
            response = await collection.query.hybrid(**plan.kwargs, vector=vector)
        except WeaviateBaseError as exc:
            replicas = await self._areplicas(client, plan.consistency_level)
            raise self._error(
                exc,
                "hybrid query",
                tenant=plan.tenant,
                vector_size=_size(vector),
                replicas=replicas,
            ) from exc
        return self._documents(response.objects, query)

    def _documents(self, objects: Sequence[Object[Any, Any]], query: HybridQuery) -> list[Document]:
        """Objects -> documents with the shared score metadata, deduplicated by id."""
        documents: list[Document] = []
        seen: set[str] = set()
        for obj in objects:
            if len(documents) == query.k:
                break
            properties = dict(obj.properties or {})
            text = properties.pop(self.spec.text_key, None)
            stored_id = (
                properties.pop(self.spec.id_property, None) if self.spec.id_property else None
            )
            doc_id = stored_id if isinstance(stored_id, str) and stored_id else str(obj.uuid)
            if doc_id in seen:
                continue
            seen.add(doc_id)
            metadata = {k: v for k, v in properties.items() if v is not None}
            hit = self._fused_hit(doc_id, obj, query)
            source = Document(page_content=text if isinstance(text, str) else "", metadata=metadata)
            documents.append(to_document(source, hit, alpha=query.alpha, fusion=query.fusion))
        return documents

    @staticmethod
    def _fused_hit(doc_id: str, obj: Object[Any, Any], query: HybridQuery) -> FusedHit:
        explained = parse_explain_score(
            obj.metadata.explain_score, fusion=query.fusion, object_id=str(obj.uuid)
        )
        weights = {"keyword": 1.0 - query.alpha, "vector": query.alpha}
        legs = {
            name: to_evidence(leg, weight=weights[name], fusion=query.fusion)
            if leg is not None
            else None
            for name, leg in (
                ("keyword", explained.keyword if explained else None),
                ("vector", explained.vector if explained else None),
            )
        }
        score = obj.metadata.score
        return FusedHit(
            id=doc_id,
            score=float(score) if score is not None else math.nan,
            keyword=legs["keyword"],
            vector=legs["vector"],
        )

    # ------------------------------------------------------------------------ schema cache

    def _refresh(self, client: WeaviateClient) -> None:
        try:
            config = client.collections.use(self.collection_name).config.get()
        except WeaviateBaseError as exc:
            raise self._error(exc, "schema read") from exc
        self._info = collection_info(config)

    async def _arefresh(self, client: WeaviateAsyncClient) -> None:
        try:
            config = await client.collections.use(self.collection_name).config.get()
        except WeaviateBaseError as exc:
            raise self._error(exc, "schema read") from exc
        self._info = collection_info(config)

    def _add_properties(self, client: WeaviateClient, batch: PreparedBatch) -> None:
        with self._schema_lock:
            missing = {
                k: v for k, v in batch.new_properties.items() if k not in self._info.properties
            }
            if not missing:
                return
            config = client.collections.use(self.collection_name).config
            for name, data_type in missing.items():
                try:
                    config.add_property(new_property(name, data_type))
                except WeaviateBaseError as exc:  # noqa: PERF203 - one request per property
                    # Added by another writer meanwhile: its type is checked on insert.
                    self._refresh(client)
                    if name not in self._info.properties:
                        raise self._error(exc, f"adding property {name!r}") from exc
            self._info = self._info.with_properties(missing)

    async def _aadd_properties(self, client: WeaviateAsyncClient, batch: PreparedBatch) -> None:
        async with self._async_lock:
            missing = {
                k: v for k, v in batch.new_properties.items() if k not in self._info.properties
            }
            if not missing:
                return
            config = client.collections.use(self.collection_name).config
            for name, data_type in missing.items():
                try:
                    await config.add_property(new_property(name, data_type))
                except WeaviateBaseError as exc:  # noqa: PERF203 - one request per property
                    await self._arefresh(client)
                    if name not in self._info.properties:
                        raise self._error(exc, f"adding property {name!r}") from exc
            self._info = self._info.with_properties(missing)

    # ------------------------------------------------------------------------ writes

    def _with_vectors(self, batch: PreparedBatch, vectors: list[list[float]]) -> None:
        if len(vectors) != len(batch.objects):
            msg = (
                f"{type(self.embedding).__name__}.embed_documents returned {len(vectors)} "
                f"vectors for {len(batch.objects)} texts; nothing was written"
            )
            raise BackendError(msg)
        batch.objects = [
            DataObject(properties=obj.properties, uuid=obj.uuid, vector=list(vector))
            for obj, vector in zip(batch.objects, vectors, strict=True)
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
        level = self._level(consistency_level)
        documents = list(documents)
        doc_ids = assign_ids(documents, ids)
        if not documents:
            return []
        tenant = self._write_tenant()
        batch = prepare_documents(documents, doc_ids, self.spec, self._info)
        if batch.objects:
            self._with_vectors(batch, self.embedding.embed_documents(batch.texts))
            self._add_properties(client, batch)
        collection = self._collection(client, tenant, level)
        try:
            insert_objects(
                collection.data.insert_many,
                batch,
                batch_size=self.batch_size,
                order=doc_ids,
                on_error=lambda exc: self._error(
                    exc, "insert", tenant=tenant, replicas=self._replicas(client, level)
                ),
            )
        except IngestError as exc:
            mapped = self._ingest_failed(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return doc_ids

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
        level = self._level(consistency_level)
        await self._aprepare(client)
        documents = list(documents)
        doc_ids = assign_ids(documents, ids)
        if not documents:
            return []
        tenant = self._write_tenant()
        batch = prepare_documents(documents, doc_ids, self.spec, self._info)
        if batch.objects:
            self._with_vectors(batch, await self.embedding.aembed_documents(batch.texts))
            await self._aadd_properties(client, batch)
        collection = self._acollection(client, tenant, level)
        try:
            await ainsert_objects(
                collection.data.insert_many,
                batch,
                batch_size=self.batch_size,
                order=doc_ids,
                # The replica health is not read here: it would need an await.
                on_error=lambda exc: self._error(exc, "insert", tenant=tenant),
            )
        except IngestError as exc:
            mapped = self._ingest_failed(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        return doc_ids

    def _delete_filters(self, ids: Sequence[str]) -> list[FilterReturn]:
        uuids = list(dict.fromkeys(object_uuid(i) for i in ids))
        return [
            Filter.by_id().contains_any(uuids[start : start + _DELETE_CHUNK])
            for start in range(0, len(uuids), _DELETE_CHUNK)
        ]

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
        level = self._level(consistency_level)
        if not ids:
            return
        tenant = self._write_tenant()
        collection = self._collection(client, tenant, level)
        for where in self._delete_filters(ids):
            try:
                result = collection.data.delete_many(where=where)
            except WeaviateBaseError as exc:
                replicas = self._replicas(client, level)
                raise self._error(exc, "delete", tenant=tenant, replicas=replicas) from exc
            self._check_deleted(result.failed)

    async def adelete(self, ids: Sequence[str], *, consistency_level: str | None = None) -> None:
        """Async `delete`."""
        client = self._async_client
        if client is None:
            await asyncio.to_thread(self.delete, ids, consistency_level=consistency_level)
            return
        level = self._level(consistency_level)
        await self._aprepare(client)
        if not ids:
            return
        tenant = self._write_tenant()
        collection = self._acollection(client, tenant, level)
        for where in self._delete_filters(ids):
            try:
                result = await collection.data.delete_many(where=where)
            except WeaviateBaseError as exc:
                replicas = await self._areplicas(client, level)
                raise self._error(exc, "delete", tenant=tenant, replicas=replicas) from exc
            self._check_deleted(result.failed)

    def _check_deleted(self, failed: int) -> None:
        if failed:
            msg = f"Weaviate failed to delete {failed} object(s) of {self.collection_name!r}"
            raise BackendError(msg)


def _size(vector: list[float] | None) -> int | None:
    return len(vector) if vector is not None else None


# ---------------------------------------------------------------------------- vector stores


def is_weaviate_vectorstore(store: object) -> bool:
    """Whether `store` is a `langchain_weaviate.WeaviateVectorStore` (import-free check).

    Example:
        >>> is_weaviate_vectorstore(object())
        False
    """
    try:
        from langchain_weaviate import WeaviateVectorStore  # noqa: PLC0415 - optional extra
    except ImportError:
        return False
    return isinstance(store, WeaviateVectorStore)


def backend_from_weaviate_vectorstore(store: Any, **kwargs: Any) -> WeaviateBackend:
    """A `WeaviateBackend` on the collection of a `langchain_weaviate.WeaviateVectorStore`.

    Uses the store's client (and async client), index name, text key and embedding, so
    searches run Weaviate's native hybrid query on the documents already there. The
    collection is not created (`create=False`); documents written by `langchain_weaviate`
    have no id property, so their ids are their object UUIDs (the ids it returned).

    Args:
        store: the vector store.
        **kwargs: more `WeaviateBackend` arguments (`tenant`, `verify_schema`, ...).

    Raises:
        ConfigError: `store` is not a `WeaviateVectorStore`, or it has no embedding.

    Example:
        ```python
        store = WeaviateVectorStore(client, "Docs", "text", embeddings)
        retriever = HybridRetriever(backend=backend_from_weaviate_vectorstore(store))
        ```
    """
    if not is_weaviate_vectorstore(store):
        msg = f"expected a langchain_weaviate.WeaviateVectorStore, got {type(store).__name__}"
        raise ConfigError(msg)
    if store.embeddings is None:
        msg = (
            "the WeaviateVectorStore has no embedding: the Weaviate backend sends its own "
            "query vectors; create the store with embedding=..."
        )
        raise ConfigError(msg)
    arguments: dict[str, Any] = {
        "text_key": store._text_key,  # noqa: SLF001 - the store keeps these private
        "create": False,
        "async_client": getattr(store, "_client_async", None),
        **kwargs,
    }
    return WeaviateBackend(
        store._client,  # noqa: SLF001
        store._index_name,  # noqa: SLF001
        store.embeddings,
        **arguments,
    )
