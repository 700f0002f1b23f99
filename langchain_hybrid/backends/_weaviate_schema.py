"""The Weaviate collection behind `WeaviateBackend`: its schema, and how documents are written.

- `CollectionSpec` is the schema the backend creates when the collection is missing: a
  `text` property with `word` tokenisation (the tokeniser the local backend imitates), a
  `doc_id` property holding the caller's document id, no vectorizer (the backend sends the
  vectors its `Embeddings` make), BM25 `k1 = 1.2`, `b = 0.75`, the `en` stopword preset,
  and a null-state index so that `$ne` / `$nin` filters skip documents that lack the key,
  as they do locally. On a cluster it may also ask for a replication factor and a shard
  count (left to the server when not given).
- `schema_differences` compares an existing collection with the spec; the backend refuses
  (`SchemaMismatchError`) to search or write a collection that differs.
- `prepare_documents` turns documents into Weaviate objects: one property per metadata key,
  typed from its Python values (`int` -> `INT`, so integers come back as integers, not the
  floats that Weaviate's auto-schema would make), and a deterministic object UUID per id.
  A document that cannot be stored faithfully is not sent; it is reported.
- `insert_objects` / `ainsert_objects` write in batches and raise `IngestError` listing
  every document that was not written, with Weaviate's reason.
"""

from __future__ import annotations

import dataclasses
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    StopwordsPreset,
    Tokenization,
)
from weaviate.classes.data import DataObject
from weaviate.exceptions import WeaviateBaseError, WeaviateInsertManyAllFailedError
from weaviate.util import generate_uuid5

from langchain_hybrid.backends._weaviate_errors import is_replication_failure
from langchain_hybrid.errors import ConfigError, HybridSearchError, IngestError

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from langchain_core.documents import Document
    from weaviate.collections.classes.batch import BatchObjectReturn
    from weaviate.collections.classes.config import CollectionConfig

__all__ = [
    "CollectionInfo",
    "CollectionSpec",
    "PreparedBatch",
    "ainsert_objects",
    "collection_info",
    "insert_objects",
    "new_property",
    "object_uuid",
    "prepare_documents",
    "schema_differences",
    "validate_property_name",
]

_PROPERTY_NAME: Final = re.compile(r"[_a-z][_0-9A-Za-z]{0,230}")
_RESERVED_NAMES: Final = frozenset({"_additional", "_id", "id"})

_SCALAR_TYPES: Final[dict[str, DataType]] = {
    "str": DataType.TEXT,
    "int": DataType.INT,
    "float": DataType.NUMBER,
    "bool": DataType.BOOL,
}
_ARRAY_TYPES: Final[dict[str, DataType]] = {
    "str": DataType.TEXT_ARRAY,
    "int": DataType.INT_ARRAY,
    "float": DataType.NUMBER_ARRAY,
    "bool": DataType.BOOL_ARRAY,
}
# Which Python value kinds each property type stores without changing them.
_ACCEPTS: Final[dict[str, frozenset[str]]] = {
    DataType.TEXT.value: frozenset({"str"}),
    DataType.INT.value: frozenset({"int"}),
    DataType.NUMBER.value: frozenset({"int", "float"}),
    DataType.BOOL.value: frozenset({"bool"}),
    DataType.TEXT_ARRAY.value: frozenset({"str[]", "[]"}),
    DataType.INT_ARRAY.value: frozenset({"int[]", "[]"}),
    DataType.NUMBER_ARRAY.value: frozenset({"int[]", "float[]", "[]"}),
    DataType.BOOL_ARRAY.value: frozenset({"bool[]", "[]"}),
}


def validate_property_name(name: str, what: str) -> None:
    """Raise `ConfigError` unless `name` can be a Weaviate property name unchanged.

    Weaviate accepts `[_A-Za-z][_0-9A-Za-z]*` but lower-cases the first letter, so a
    property `Source` would come back as `source`: such names are refused too.

    Example:
        >>> validate_property_name("doc_id", "id_property")
    """
    if not isinstance(name, str) or not _PROPERTY_NAME.fullmatch(name) or name in _RESERVED_NAMES:
        msg = (
            f"{what} {name!r} cannot be a Weaviate property name: it must match "
            f"[_a-z][_0-9A-Za-z]* (Weaviate lower-cases a leading capital) and must not be "
            f"one of {sorted(_RESERVED_NAMES)}"
        )
        raise ConfigError(msg)


# ---------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class CollectionSpec:
    """The schema the backend creates, and checks an existing collection against.

    Attributes:
        text_key: property holding `Document.page_content` (searched by BM25).
        id_property: property holding the document id, or `None` to use object UUIDs as ids.
        tokenization: tokenisation of the text property (`word`: split on anything that
            is not a letter or digit, lower-case; what the local analyser does).
        bm25_k1: BM25 term-frequency saturation.
        bm25_b: BM25 length normalisation.
        stopwords_preset: stopwords removed from queries (`en`, or `none`).
        replication_factor: copies of every object on a cluster (`None`: the server's
            default, 1); an existing collection must have it, when given.
        shards: shards of a new collection (`None`: the server's default, one per
            node); an existing collection must have that many, when given.

    Example:
        >>> CollectionSpec(text_key="body").bm25_k1
        1.2
    """

    text_key: str = "text"
    id_property: str | None = "doc_id"
    tokenization: str = "word"
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    stopwords_preset: str = "en"
    replication_factor: int | None = None
    shards: int | None = None

    def __post_init__(self) -> None:
        """Validate names and values once, with the allowed values in the message."""
        validate_property_name(self.text_key, "text_key")
        if self.id_property is not None:
            validate_property_name(self.id_property, "id_property")
            if self.id_property == self.text_key:
                msg = f"id_property and text_key must differ, both are {self.text_key!r}"
                raise ConfigError(msg)
        allowed = [t.value for t in Tokenization]
        if self.tokenization not in allowed:
            msg = f"tokenization must be one of {allowed}, got {self.tokenization!r}"
            raise ConfigError(msg)
        presets = [p.value for p in StopwordsPreset]
        if self.stopwords_preset not in presets:
            msg = f"stopwords_preset must be one of {presets}, got {self.stopwords_preset!r}"
            raise ConfigError(msg)
        for name, value in (("bm25_k1", self.bm25_k1), ("bm25_b", self.bm25_b)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                msg = f"{name} must be a non-negative number, got {value!r}"
                raise ConfigError(msg)
        if self.bm25_b > 1:
            msg = f"bm25_b must be in [0, 1], got {self.bm25_b!r}"
            raise ConfigError(msg)
        for name, count in (
            ("replication_factor", self.replication_factor),
            ("shards", self.shards),
        ):
            if count is not None and (
                isinstance(count, bool) or not isinstance(count, int) or count < 1
            ):
                msg = f"{name} must be a positive integer or None, got {count!r}"
                raise ConfigError(msg)

    def create_arguments(self, *, multi_tenancy: bool) -> dict[str, Any]:
        """Keyword arguments of `client.collections.create` (besides the name)."""
        properties = [
            Property(
                name=self.text_key,
                data_type=DataType.TEXT,
                tokenization=Tokenization(self.tokenization),
                index_searchable=True,
                index_filterable=True,
            )
        ]
        if self.id_property is not None:
            # `field`: the id is matched whole; not searchable, so BM25 never scores ids.
            properties.append(
                Property(
                    name=self.id_property,
                    data_type=DataType.TEXT,
                    tokenization=Tokenization.FIELD,
                    index_searchable=False,
                    index_filterable=True,
                )
            )
        arguments: dict[str, Any] = {
            "properties": properties,
            "vector_config": Configure.Vectors.self_provided(),
            "inverted_index_config": Configure.inverted_index(
                bm25_k1=self.bm25_k1,
                bm25_b=self.bm25_b,
                stopwords_preset=StopwordsPreset(self.stopwords_preset),
                index_null_state=True,
            ),
            "multi_tenancy_config": Configure.multi_tenancy(enabled=multi_tenancy),
        }
        if self.replication_factor is not None:
            # Async replication (Weaviate's repair of replicas that missed writes) is on
            # for every factor > 1 since 1.38; the client no longer sends the switch.
            arguments["replication_config"] = Configure.replication(factor=self.replication_factor)
        if self.shards is not None:
            if multi_tenancy:
                msg = "shards cannot be set on a multi-tenant collection (one shard per tenant)"
                raise ConfigError(msg)
            arguments["sharding_config"] = Configure.sharding(desired_count=self.shards)
        return arguments


@dataclass(frozen=True)
class CollectionInfo:
    """What the backend needs to know of an existing collection (read once, then cached).

    Attributes:
        properties: property name -> Weaviate data type (`"text"`, `"int"`, `"text[]"`, ...).
        tokenization: property name -> tokenisation, for text properties.
        index_null_state: whether `is_none` filters work (needed for exact `$ne`).
        multi_tenancy: whether the collection is multi-tenant.
        replication_factor: copies of every object (1: not replicated).
        shards: physical shards (per tenant, for a multi-tenant collection: 1).
    """

    properties: Mapping[str, str] = field(default_factory=dict)
    tokenization: Mapping[str, str | None] = field(default_factory=dict)
    index_null_state: bool = False
    multi_tenancy: bool = False
    replication_factor: int = 1
    shards: int = 1

    def with_properties(self, added: Mapping[str, DataType]) -> CollectionInfo:
        """A copy that also knows the properties just added."""
        return dataclasses.replace(
            self,
            properties={**self.properties, **{k: v.value for k, v in added.items()}},
            tokenization={
                **self.tokenization,
                **{k: Tokenization.FIELD.value for k, v in added.items() if _is_text(v.value)},
            },
        )


def _is_text(data_type: str) -> bool:
    return data_type in {DataType.TEXT.value, DataType.TEXT_ARRAY.value}


def collection_info(config: CollectionConfig) -> CollectionInfo:
    """Extract `CollectionInfo` from `collection.config.get()`."""
    return CollectionInfo(
        properties={p.name: p.data_type.value for p in config.properties},
        tokenization={
            p.name: p.tokenization.value if p.tokenization else None for p in config.properties
        },
        index_null_state=config.inverted_index_config.index_null_state,
        multi_tenancy=config.multi_tenancy_config.enabled,
        replication_factor=config.replication_config.factor,
        shards=config.sharding_config.actual_count if config.sharding_config else 1,
    )


def _vectorizers(config: CollectionConfig) -> dict[str, str]:
    """Vector name -> vectorizer module (`"none"` when vectors are self-provided)."""
    found: dict[str, str] = {}
    for name, named in (config.vector_config or {}).items():
        found[name] = str(
            getattr(named.vectorizer.vectorizer, "value", named.vectorizer.vectorizer)
        )
    if config.vectorizer is not None:
        found["(collection vector)"] = str(getattr(config.vectorizer, "value", config.vectorizer))
    return found


def _text_problems(text: Any, spec: CollectionSpec) -> list[str]:
    """What is wrong with the existing text property (a weaviate `_Property`)."""
    problems: list[str] = []
    if text.data_type != DataType.TEXT:
        problems.append(f"property {spec.text_key!r} is {text.data_type.value!r}, expected 'text'")
    if not text.index_searchable:
        problems.append(
            f"property {spec.text_key!r} is not searchable (index_searchable=False): "
            "BM25 cannot search it"
        )
    tokenization = text.tokenization.value if text.tokenization else None
    if tokenization != spec.tokenization:
        problems.append(
            f"property {spec.text_key!r} has tokenization {tokenization!r}, expected "
            f"{spec.tokenization!r}"
        )
    analyzer = text.text_analyzer
    if analyzer is not None and (analyzer.ascii_fold or analyzer.stopword_preset):
        problems.append(
            f"property {spec.text_key!r} has its own text analyzer ({analyzer}); expected none"
        )
    return problems


def _bm25_problems(config: CollectionConfig, spec: CollectionSpec) -> list[str]:
    problems: list[str] = []
    inverted = config.inverted_index_config
    if not math.isclose(inverted.bm25.k1, spec.bm25_k1, rel_tol=1e-6):
        problems.append(f"BM25 k1 is {inverted.bm25.k1}, expected {spec.bm25_k1}")
    if not math.isclose(inverted.bm25.b, spec.bm25_b, rel_tol=1e-6):
        problems.append(f"BM25 b is {inverted.bm25.b}, expected {spec.bm25_b}")
    stopwords = inverted.stopwords
    preset = getattr(stopwords.preset, "value", stopwords.preset)
    if preset != spec.stopwords_preset or stopwords.additions or stopwords.removals:
        problems.append(
            f"stopwords are preset {preset!r} + additions {stopwords.additions or []} - "
            f"removals {stopwords.removals or []}, expected preset {spec.stopwords_preset!r} "
            "alone"
        )
    return problems


def _cluster_problems(config: CollectionConfig, spec: CollectionSpec) -> list[str]:
    problems: list[str] = []
    factor = config.replication_config.factor
    if spec.replication_factor is not None and factor != spec.replication_factor:
        problems.append(
            f"its replication factor is {factor}, expected {spec.replication_factor} "
            "(Weaviate can change it in place: collection.config.update(replication_config="
            f"Reconfigure.replication(factor={spec.replication_factor})))"
        )
    shards = config.sharding_config.actual_count if config.sharding_config else None
    if spec.shards is not None and shards != spec.shards:
        problems.append(
            f"it has {shards} shards, expected {spec.shards} (the shard count is fixed when "
            "a collection is created: use another collection, or leave shards=None)"
        )
    return problems


def schema_differences(config: CollectionConfig, spec: CollectionSpec) -> list[str]:
    """How an existing collection differs from what the backend needs; empty if it fits.

    Checked: the text property (exists, is `text`, is BM25-searchable, tokenisation, no
    text analyser of its own), the id property's type (it may be missing: it is added on
    the first write), BM25 `k1`/`b`, the stopwords, the replication factor and shard
    count when the spec names them, and that no vectorizer module makes vectors of its
    own.
    """
    problems: list[str] = []
    props = {p.name: p for p in config.properties}
    text = props.get(spec.text_key)
    if text is None:
        texts = sorted(n for n, p in props.items() if p.data_type == DataType.TEXT)
        problems.append(
            f"text property {spec.text_key!r} is missing (text properties: {texts}); "
            "pass text_key= to use another one"
        )
    else:
        problems.extend(_text_problems(text, spec))
    if spec.id_property is not None and spec.id_property in props:
        id_type = props[spec.id_property].data_type
        if id_type != DataType.TEXT:
            problems.append(
                f"id property {spec.id_property!r} is {id_type.value!r}, expected 'text'"
            )
    problems.extend(_bm25_problems(config, spec))
    problems.extend(_cluster_problems(config, spec))
    modules = {name: v for name, v in _vectorizers(config).items() if v != "none"}
    if modules:
        problems.append(
            f"vectors are made by vectorizer module(s) {modules}; this backend embeds "
            "with its own Embeddings, whose vectors must not be mixed with another model's"
        )
    return problems


# ---------------------------------------------------------------------------- documents


def object_uuid(doc_id: str) -> str:
    """The Weaviate object UUID of a document id.

    An id that already is a UUID is used as it is (lower-cased), so documents written
    by other tools (`langchain_weaviate` uses UUIDs as ids) are found under their ids;
    any other id maps to `generate_uuid5(doc_id)`, the same UUID on every run, which makes
    re-ingesting idempotent.

    Example:
        >>> object_uuid("doc-1") == object_uuid("doc-1")
        True
        >>> object_uuid("C8691DA2-158A-5ED6-8537-0E6F140801F2")
        'c8691da2-158a-5ed6-8537-0e6f140801f2'
    """
    try:
        return str(uuid.UUID(doc_id)) if len(doc_id) == 36 else generate_uuid5(doc_id)  # noqa: PLR2004 - canonical UUID length
    except ValueError:
        return generate_uuid5(doc_id)


def _kind(value: object) -> str | None:  # noqa: PLR0911 - one return per kind
    """`str`/`int`/`float`/`bool`, `<kind>[]` for a homogeneous list, `[]` when empty."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float" if math.isfinite(value) else None
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        kinds = {_kind(v) for v in value}
        if not kinds:
            return "[]"
        if kinds == {"int", "float"}:
            return "float[]"
        if len(kinds) == 1:
            (only,) = kinds
            if only in _SCALAR_TYPES:
                return f"{only}[]"
    return None


def _type_for(kind: str) -> DataType | None:
    if kind.endswith("[]"):
        return _ARRAY_TYPES.get(kind[:-2])
    return _SCALAR_TYPES.get(kind)


@dataclass
class PreparedBatch:
    """Documents turned into Weaviate objects, and those that cannot be stored.

    Attributes:
        objects: one object per storable document, without vectors yet.
        ids: the document id of each object.
        texts: the text to embed for each object.
        failed: document id -> reason, for documents that were not turned into objects.
        new_properties: metadata properties the collection lacks, with their types.
    """

    objects: list[DataObject[dict[str, Any], None]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    new_properties: dict[str, DataType] = field(default_factory=dict)


def _metadata_problem(
    key: object, value: object, spec: CollectionSpec, types: Mapping[str, str]
) -> str | None:
    """Why `metadata[key] = value` cannot be stored unchanged, or `None` if it can."""
    if key in {spec.text_key, spec.id_property}:
        return f"metadata key {key!r} collides with the backend's own property {key!r}"
    if not isinstance(key, str) or not _PROPERTY_NAME.fullmatch(key) or key in _RESERVED_NAMES:
        return (
            f"metadata key {key!r} is not a valid Weaviate property name ([_a-z][_0-9A-Za-z]*,"
            f" not {sorted(_RESERVED_NAMES)}; Weaviate would lower-case a leading capital)"
        )
    kind = _kind(value)
    if kind is None:
        return (
            f"metadata {key!r} has a value of type {type(value).__name__} ({value!r:.60}); "
            "supported: str, int, float, bool, or a list of one of them"
        )
    existing = types.get(key)
    if existing is not None and existing in _ACCEPTS and kind not in _ACCEPTS[existing]:
        return f"metadata {key!r} is {kind} {value!r:.60}, but the property is {existing!r}"
    return None


def _infer_type(kinds: Sequence[str]) -> DataType | None:
    """The type of a new property from the value kinds a batch has for it, in order.

    The first kind decides, except that ints and floats together make `NUMBER`
    (`NUMBER` stores ints unchanged, `INT` refuses floats). Empty lists say nothing.
    """
    kinds = [k for k in kinds if k != "[]"]
    if not kinds:
        return None
    numeric = {"int", "float"}
    if set(kinds) <= numeric:
        return DataType.NUMBER if "float" in kinds else DataType.INT
    if set(kinds) <= {"int[]", "float[]"}:
        return DataType.NUMBER_ARRAY if "float[]" in kinds else DataType.INT_ARRAY
    return _type_for(kinds[0])


def _storable(
    documents: Sequence[Document],
    ids: Sequence[str],
    spec: CollectionSpec,
    failed: dict[str, str],
) -> list[tuple[str, Document, dict[str, Any]]]:
    """The last document of each id whose metadata names and value kinds can be stored.

    The others are put into `failed` with the reason.
    """
    latest = {doc_id: i for i, doc_id in enumerate(ids)}
    storable: list[tuple[str, Document, dict[str, Any]]] = []
    for index, (document, doc_id) in enumerate(zip(documents, ids, strict=True)):
        if latest[doc_id] != index:
            continue
        values = {k: v for k, v in document.metadata.items() if v is not None}
        problem = next(
            (p for k, v in values.items() if (p := _metadata_problem(k, v, spec, {})) is not None),
            None,
        )
        if problem is None:
            storable.append((doc_id, document, values))
        else:
            failed[doc_id] = problem
    return storable


def prepare_documents(
    documents: Sequence[Document],
    ids: Sequence[str],
    spec: CollectionSpec,
    info: CollectionInfo,
) -> PreparedBatch:
    """Build one object per document; report the documents that cannot be stored.

    A later document with the same id replaces an earlier one (as a second write would).
    `None` values are left out (Weaviate does not store them), and so are empty lists of
    a key whose type nothing in the batch or the collection tells.

    Example:
        >>> from langchain_core.documents import Document
        >>> batch = prepare_documents(
        ...     [Document("hi", metadata={"year": 2024})], ["a"], CollectionSpec(), CollectionInfo()
        ... )
        >>> batch.new_properties, batch.objects[0].properties
        ({'year': <DataType.INT: 'int'>}, {'year': 2024, 'text': 'hi', 'doc_id': 'a'})
    """
    batch = PreparedBatch()
    candidates = _storable(documents, ids, spec, batch.failed)
    new_kinds: dict[str, list[str]] = {}
    for _, _, values in candidates:
        for key, value in values.items():
            if key not in info.properties:
                new_kinds.setdefault(key, []).append(_kind(value) or "")
    types: dict[str, str] = dict(info.properties)
    for key, kinds in new_kinds.items():
        data_type = _infer_type(kinds)
        if data_type is not None:
            types[key] = data_type.value
            batch.new_properties[key] = data_type
    # Pass 2: every value against the (existing or new) type of its property.
    for doc_id, document, values in candidates:
        problem = next(
            (
                p
                for k, v in values.items()
                if k in types and (p := _metadata_problem(k, v, spec, types)) is not None
            ),
            None,
        )
        if problem is not None:
            batch.failed[doc_id] = problem
            continue
        properties: dict[str, Any] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in values.items() if k in types
        }
        properties[spec.text_key] = document.page_content
        if spec.id_property is not None:
            properties[spec.id_property] = doc_id
        batch.objects.append(DataObject(properties=properties, uuid=object_uuid(doc_id)))
        batch.ids.append(doc_id)
        batch.texts.append(document.page_content)
    return batch


def new_property(name: str, data_type: DataType) -> Property:
    """A metadata property: filterable, text matched whole (`field`) as the local filter does."""
    text = _is_text(data_type.value)
    return Property(
        name=name,
        data_type=data_type,
        tokenization=Tokenization.FIELD if text else None,
        index_filterable=True,
        index_searchable=text,
    )


# ---------------------------------------------------------------------------- writing


def _chunks(count: int, size: int) -> list[range]:
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def _errors_of(result: BatchObjectReturn, chunk: range) -> dict[int, str]:
    return {chunk.start + index: error.message for index, error in result.errors.items()}


def _ingest_error(failed: Mapping[str, str], order: Sequence[str]) -> IngestError:
    position = {doc_id: i for i, doc_id in enumerate(order)}
    failed = dict(sorted(failed.items(), key=lambda item: position.get(item[0], len(order))))
    shown = "; ".join(f"{doc_id!r}: {reason}" for doc_id, reason in list(failed.items())[:5])
    more = f" (and {len(failed) - 5} more, see .failed)" if len(failed) > 5 else ""  # noqa: PLR2004 - shown in the message
    msg = f"{len(failed)} of {len(set(order))} documents were not written: {shown}{more}"
    return IngestError(msg, failed)


class _Progress:
    """What an ingest wrote so far, shared by the sync and async loops."""

    def __init__(
        self,
        batch: PreparedBatch,
        order: Sequence[str],
        on_error: Callable[[WeaviateBaseError], HybridSearchError],
    ) -> None:
        self.batch = batch
        self.order = order
        self.on_error = on_error
        self.failed = dict(batch.failed)

    def record(self, errors: Mapping[int, str]) -> None:
        self.failed.update({self.batch.ids[i]: reason for i, reason in errors.items()})

    def interrupted(self, start: int, exc: WeaviateBaseError) -> HybridSearchError:
        """The error to raise when a request fails as a whole at object `start`.

        Nothing written yet: the mapped error itself (e.g. `ServerUnavailableError`).
        Otherwise an `IngestError` listing the objects from `start` on as not written.
        """
        mapped = self.on_error(exc)
        if start == 0:
            return mapped
        ids = self.batch.ids
        self.failed.update({ids[i]: f"not written: {mapped}" for i in range(start, len(ids))})
        return _ingest_error(self.failed, self.order)

    def finish(self) -> None:
        if self.failed:
            raise _ingest_error(self.failed, self.order)


def insert_objects(
    insert_many: Callable[[list[DataObject[dict[str, Any], None]]], BatchObjectReturn],
    batch: PreparedBatch,
    *,
    batch_size: int,
    order: Sequence[str],
    on_error: Callable[[WeaviateBaseError], HybridSearchError],
) -> None:
    """Write `batch.objects` with `collection.data.insert_many`, `batch_size` at a time.

    Args:
        insert_many: `collection.data.insert_many` (of the right tenant).
        batch: the prepared objects, with their vectors set.
        batch_size: objects per request.
        order: every document id of the call, in the order given (orders `failed`).
        on_error: maps a weaviate-client exception that fails a whole request.

    Raises:
        IngestError: listing every document of `batch.failed` and every object Weaviate
            refused, with the reasons; all others were written.
        HybridSearchError: `on_error`'s error, when the first request fails as a whole
            (nothing was written).
    """
    progress = _Progress(batch, order, on_error)
    for chunk in _chunks(len(batch.objects), batch_size):
        try:
            try:
                progress.record(_errors_of(insert_many([batch.objects[i] for i in chunk]), chunk))
            except WeaviateInsertManyAllFailedError as exc:
                if is_replication_failure(str(exc)):
                    # The cluster refused the request itself (no leader, too few replicas):
                    # every object would fail alike, so stop here instead of retrying.
                    raise progress.interrupted(chunk.start, exc) from exc
                # The client then keeps only the set of messages; one object at a time
                # gives each document its own reason (refused objects have no effect).
                for i in chunk:
                    try:
                        single = insert_many([batch.objects[i]])
                        progress.record(_errors_of(single, range(i, i + 1)))
                    except WeaviateInsertManyAllFailedError as exc:  # noqa: PERF203 - failure path only
                        progress.record({i: _all_failed_reason(exc)})
        except WeaviateBaseError as exc:  # noqa: PERF203 - one request per chunk
            raise progress.interrupted(chunk.start, exc) from exc
    progress.finish()


async def ainsert_objects(
    insert_many: Callable[[list[DataObject[dict[str, Any], None]]], Awaitable[BatchObjectReturn]],
    batch: PreparedBatch,
    *,
    batch_size: int,
    order: Sequence[str],
    on_error: Callable[[WeaviateBaseError], HybridSearchError],
) -> None:
    """Async `insert_objects`, for `WeaviateAsyncClient` collections."""
    progress = _Progress(batch, order, on_error)
    for chunk in _chunks(len(batch.objects), batch_size):
        try:
            try:
                result = await insert_many([batch.objects[i] for i in chunk])
                progress.record(_errors_of(result, chunk))
            except WeaviateInsertManyAllFailedError as exc:
                if is_replication_failure(str(exc)):
                    raise progress.interrupted(chunk.start, exc) from exc
                for i in chunk:
                    try:
                        single = await insert_many([batch.objects[i]])
                        progress.record(_errors_of(single, range(i, i + 1)))
                    except WeaviateInsertManyAllFailedError as exc:  # noqa: PERF203 - failure path only
                        progress.record({i: _all_failed_reason(exc)})
        except WeaviateBaseError as exc:  # noqa: PERF203 - one request per chunk
            raise progress.interrupted(chunk.start, exc) from exc
    progress.finish()


def _all_failed_reason(exc: WeaviateInsertManyAllFailedError) -> str:
    text = str(exc)
    prefix = "Here is the set of all errors: "
    return text.split(prefix, 1)[1] if prefix in text else text
