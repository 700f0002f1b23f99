"""The Weaviate collection behind `WeaviateBackend`: the schema it creates and checks.

- `CollectionSpec` is the schema the backend creates when the collection is missing: a
  `text` property with `word` tokenisation (the tokeniser the local backend imitates), a
  `doc_id` property holding the caller's document id, no vectorizer (the backend sends the
  vectors its `Embeddings` make), BM25 `k1 = 1.2`, `b = 0.75`, the `en` stopword preset,
  and a null-state index so that `$ne` / `$nin` filters skip documents that lack the key,
  as they do locally. On a cluster it may also ask for a replication factor and a shard
  count (left to the server when not given).
- `schema_differences` compares an existing collection with the spec; the backend refuses
  (`SchemaMismatchError`) to search or write a collection that differs.
- `CollectionInfo` is what the backend caches of an existing collection (property types,
  tenancy, replication), read by `collection_info`.

How documents become objects and are written is `ingest`'s job.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeGuard

from weaviate.classes.config import (
    Configure,
    DataType,
    Property,
    StopwordsPreset,
    Tokenization,
)

from langchain_hybrid.checks import non_negative_number, positive_int
from langchain_hybrid.errors import ConfigError

if TYPE_CHECKING:
    from weaviate.collections.classes.config import CollectionConfig

__all__ = [
    "RESERVED_NAMES",
    "CollectionInfo",
    "CollectionSpec",
    "collection_info",
    "is_property_name",
    "is_text",
    "new_property",
    "schema_differences",
    "validate_property_name",
]

_PROPERTY_NAME: Final = re.compile(r"[_a-z][_0-9A-Za-z]{0,230}")
RESERVED_NAMES: Final = frozenset({"_additional", "_id", "id"})
"""Names Weaviate keeps for itself: no property may have them."""


def is_property_name(name: object) -> TypeGuard[str]:
    """Whether `name` can be a Weaviate property name unchanged (see `validate_property_name`).

    Example:
        >>> is_property_name("year"), is_property_name("Year"), is_property_name("id")
        (True, False, False)
    """
    return (
        isinstance(name, str)
        and bool(_PROPERTY_NAME.fullmatch(name))
        and name not in RESERVED_NAMES
    )


def validate_property_name(name: str, what: str) -> None:
    """Raise `ConfigError` unless `name` can be a Weaviate property name unchanged.

    Weaviate accepts `[_A-Za-z][_0-9A-Za-z]*` but lower-cases the first letter, so a
    property `Source` would come back as `source`: such names are refused too.

    Example:
        >>> validate_property_name("doc_id", "id_property")
    """
    if not is_property_name(name):
        msg = (
            f"{what} {name!r} cannot be a Weaviate property name: it must match "
            f"[_a-z][_0-9A-Za-z]* (Weaviate lower-cases a leading capital) and must not be "
            f"one of {sorted(RESERVED_NAMES)}"
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
        non_negative_number("bm25_k1", self.bm25_k1)
        non_negative_number("bm25_b", self.bm25_b)
        if self.bm25_b > 1:
            msg = f"bm25_b must be in [0, 1], got {self.bm25_b!r}"
            raise ConfigError(msg)
        for name, count in (
            ("replication_factor", self.replication_factor),
            ("shards", self.shards),
        ):
            if count is not None:
                positive_int(name, count, what="a positive integer or None")

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
                **{k: Tokenization.FIELD.value for k, v in added.items() if is_text(v.value)},
            },
        )


def is_text(data_type: str) -> bool:
    """Whether a Weaviate data type (`"text"`, `"int[]"`, ...) holds text."""
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


def new_property(name: str, data_type: DataType) -> Property:
    """A metadata property: filterable, text matched whole (`field`) as the local filter does."""
    text = is_text(data_type.value)
    return Property(
        name=name,
        data_type=data_type,
        tokenization=Tokenization.FIELD if text else None,
        index_filterable=True,
        index_searchable=text,
    )
