"""Documents -> Weaviate objects, and the batched writes that report every failure.

- `prepare_documents` turns documents into Weaviate objects: one property per metadata key,
  typed from its Python values (`int` -> `INT`, so integers come back as integers, not the
  floats that Weaviate's auto-schema would make), and a deterministic object UUID per id.
  A document that cannot be stored faithfully is not sent; it is reported. Pure.
- `insert_steps` writes the objects in batches (the steps of `steps.run_sync` /
  `run_async`) and raises `IngestError` listing every document that was not written, with
  Weaviate's reason.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from weaviate.classes.config import DataType
from weaviate.classes.data import DataObject
from weaviate.exceptions import WeaviateBaseError, WeaviateInsertManyAllFailedError
from weaviate.util import generate_uuid5

from langchain_hybrid.backends.weaviate.errors import is_replication_failure
from langchain_hybrid.backends.weaviate.schema import (
    RESERVED_NAMES,
    CollectionInfo,
    CollectionSpec,
    is_property_name,
)
from langchain_hybrid.backends.weaviate.steps import NOT_STARTED, Pipeline
from langchain_hybrid.errors import HybridSearchError, IngestError

if TYPE_CHECKING:
    from langchain_core.documents import Document
    from weaviate.collections.classes.batch import BatchObjectReturn

    from langchain_hybrid.backends.weaviate.steps import Steps

__all__ = [
    "PreparedBatch",
    "insert_steps",
    "object_uuid",
    "prepare_documents",
]

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
    if not is_property_name(key):
        return (
            f"metadata key {key!r} is not a valid Weaviate property name ([_a-z][_0-9A-Za-z]*,"
            f" not {sorted(RESERVED_NAMES)}; Weaviate would lower-case a leading capital)"
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
    """What an ingest wrote so far, and what it failed to write."""

    def __init__(self, batch: PreparedBatch, order: Sequence[str]) -> None:
        self.batch = batch
        self.order = order
        self.failed = dict(batch.failed)

    def record(self, errors: Mapping[int, str]) -> None:
        self.failed.update({self.batch.ids[i]: reason for i, reason in errors.items()})

    def interrupted(self, lost: Sequence[range], mapped: HybridSearchError) -> HybridSearchError:
        """The error to raise when requests failed as a whole: `lost` were not written.

        The first request failed (it is sent alone): nothing was written, so the mapped
        error itself (e.g. `ServerUnavailableError`). Otherwise an `IngestError` that
        lists the objects of `lost` as not written, beside every refusal so far.
        """
        if lost[0].start == 0:
            return mapped
        ids = self.batch.ids
        self.failed.update({ids[i]: f"not written: {mapped}" for part in lost for i in part})
        return _ingest_error(self.failed, self.order)

    def finish(self) -> None:
        if self.failed:
            raise _ingest_error(self.failed, self.order)


InsertMany = Callable[[list[DataObject[dict[str, Any], None]]], Any]
"""`collection.data.insert_many` of a sync or an async collection handle."""


def _stops(outcome: object) -> bool:
    """Whether a request's outcome stops the ingest: it failed as a whole.

    Not so when every object was refused one by one (they are retried singly for their
    reasons): only when the request itself was (server gone, no leader, too few
    replicas), since every later request would fail alike.
    """
    if isinstance(outcome, WeaviateInsertManyAllFailedError):
        return is_replication_failure(str(outcome))
    return isinstance(outcome, Exception)


def insert_steps(  # noqa: C901 - every outcome of a request, in one place
    insert_many: InsertMany,
    batch: PreparedBatch,
    *,
    batch_size: int,
    order: Sequence[str],
    on_error: Callable[[WeaviateBaseError], Steps[HybridSearchError]],
    concurrency: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Steps[None]:
    """Write `batch.objects` with `collection.data.insert_many`, `batch_size` at a time.

    Steps for `steps.run_sync` (a sync collection) or `steps.run_async` (an async one).
    The first request goes alone: it finds out whether the server, the tenant and the
    replicas take writes at all, and when it fails as a whole nothing was written. The
    others go with `concurrency` in flight, so that the server indexes one batch while
    the client encodes the next (weaviate-client's own batch import sends 2 at a time).

    Args:
        insert_many: `collection.data.insert_many` (of the right tenant and level).
        batch: the prepared objects, with their vectors set.
        batch_size: objects per request.
        order: every document id of the call, in the order given (orders `failed`).
        on_error: steps that map a weaviate-client exception failing a whole request.
        concurrency: requests in flight at a time (after the first one).
        progress: called as `progress(done, total)` after each request: the objects
            handled so far (written or refused) and `len(batch.objects)`.

    Raises:
        IngestError: listing every document of `batch.failed`, every object Weaviate
            refused, with the reasons, and every object of a request that failed as a
            whole and of the requests not sent after it; all others were written.
        HybridSearchError: `on_error`'s error, when the first request fails as a whole
            (nothing was written).
    """
    written = _Progress(batch, order)
    chunks = _chunks(len(batch.objects), batch_size)
    handled = 0
    groups = [chunks[:1], chunks[1:]]
    for number, group in enumerate(groups):
        if not group:
            continue

        def done(i: int, _: object, group: list[range] = group) -> None:
            nonlocal handled
            handled += len(group[i])
            if progress is not None:
                progress(handled, len(batch.objects))

        outcomes = yield Pipeline(
            [functools.partial(insert_many, [batch.objects[i] for i in chunk]) for chunk in group],
            width=concurrency,
            stop=_stops,
            done=done,
        )
        lost: list[range] = []
        cause: WeaviateBaseError | None = None
        for chunk, outcome in zip(group, outcomes, strict=True):
            if outcome is NOT_STARTED:
                lost.append(chunk)
            elif isinstance(outcome, WeaviateInsertManyAllFailedError) and not _stops(outcome):
                # The client then keeps only the set of messages; one object at a time
                # gives each document its own reason (refused objects have no effect).
                failure = yield from _one_at_a_time(insert_many, batch, chunk, written)
                if failure is not None:
                    lost.append(failure[0])
                    cause = cause or failure[1]
            elif isinstance(outcome, WeaviateBaseError):
                lost.append(chunk)
                cause = cause or outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                written.record(_errors_of(outcome, chunk))
        if cause is not None:
            mapped = yield from on_error(cause)
            unsent = [chunk for later in groups[number + 1 :] for chunk in later]
            raise written.interrupted([*lost, *unsent], mapped) from cause
    written.finish()


def _one_at_a_time(
    insert_many: InsertMany, batch: PreparedBatch, chunk: range, written: _Progress
) -> Steps[tuple[range, WeaviateBaseError] | None]:
    """Send a refused request's objects one by one; the part not written if one fails whole."""
    for i in chunk:
        try:
            single = yield insert_many([batch.objects[i]])
            written.record(_errors_of(single, range(i, i + 1)))
        except WeaviateInsertManyAllFailedError as exc:  # noqa: PERF203 - failure path only
            written.record({i: _all_failed_reason(exc)})
        except WeaviateBaseError as exc:
            return range(i, chunk.stop), exc
    return None


def _all_failed_reason(exc: WeaviateInsertManyAllFailedError) -> str:
    text = str(exc)
    prefix = "Here is the set of all errors: "
    return text.split(prefix, 1)[1] if prefix in text else text
