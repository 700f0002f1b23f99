"""The Weaviate backend's pure steps, without a server: query -> `hybrid()` kwargs -> documents.

`plan.plan_hybrid` is checked against the arguments the backend must send, and
`plan.to_documents` / `client_fusion` on weaviate-client's own result objects (`Object`,
`MetadataReturn`) carrying `explain_score` strings recorded from a v1.39.3 server (the
same strings as `test_weaviate_explain.py`). The integration tests send these plans to a
real server (`integration_tests/test_weaviate_backend.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import math
import uuid
from typing import Any

import pytest
from weaviate.classes.config import ConsistencyLevel
from weaviate.classes.query import BM25Operator, HybridFusion, MetadataQuery
from weaviate.collections.classes.internal import MetadataReturn, Object

from langchain_hybrid._types import HybridQuery
from langchain_hybrid.backends.weaviate import client_fusion
from langchain_hybrid.backends.weaviate.plan import (
    needs_refresh,
    object_id,
    plan_hybrid,
    request_level,
    source_document,
    to_documents,
)
from langchain_hybrid.backends.weaviate.schema import CollectionInfo, CollectionSpec
from langchain_hybrid.backends.weaviate.steps import (
    NOT_STARTED,
    Concurrent,
    Pipeline,
    run_async,
    run_sync,
)
from langchain_hybrid.errors import ConfigError
from langchain_hybrid.filters import And, Comparison
from langchain_hybrid.results import SCORE_KEYS

SPEC = CollectionSpec()
INFO = CollectionInfo(properties={"text": "text", "doc_id": "text", "year": "int"})
UUID_A = "98123fde-012f-5ff3-8b50-881449dac91a"
UUID_B = "6ed955c6-506a-5343-9be4-2c0afae02eef"

# Recorded from v1.39.3 (see test_weaviate_explain.py): relative-score fusion, alpha 0.5.
RELATIVE_BOTH = (
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A}: original score 0.5213263, "
    "normalized score: 0.49655223 - "
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A}: original score "
    "0.16804546, normalized score: 0.3373651"
)
RELATIVE_VECTOR_ONLY = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_B}: original score "
    "-0.19845963, normalized score: 0"
)
RANKED_BOTH = (
    f"\nHybrid (Result Set vector,hybridVector) Document {UUID_A} contributed 0.008196721 "
    "to the score"
    f"\nHybrid (Result Set keyword,bm25) Document {UUID_A} contributed 0.008196721 to the score"
)


def query(**changes: Any) -> HybridQuery:
    base = HybridQuery(
        "error E1234", k=3, fetch_k=100, alpha=0.5, fusion="relative_score", rank_constant=60
    )
    return dataclasses.replace(base, **changes)


def result(
    uuid_text: str, properties: dict[str, Any], *, score: float | None, explain: str | None
) -> Object[Any, Any]:
    """An object as `collection.query.hybrid` returns it (weaviate-client's own class)."""
    return Object(
        uuid=uuid.UUID(uuid_text),
        metadata=MetadataReturn(score=score, explain_score=explain),
        properties=properties,
        references=None,
        vector={},
        collection="Docs",
    )


# ---------------------------------------------------------------------------- plan_hybrid


def test_the_plan_is_the_hybrid_call() -> None:
    plan = plan_hybrid(query(), SPEC, INFO)
    metadata = plan.kwargs.pop("return_metadata")
    assert plan.kwargs == {
        "query_properties": ["text"],  # BM25 on the text only, never on metadata
        "query": "error E1234",
        "alpha": 0.5,
        "fusion_type": HybridFusion.RELATIVE_SCORE,
        "limit": 3,
    }
    assert isinstance(metadata, MetadataQuery)
    assert metadata.score
    assert metadata.explain_score
    assert (plan.tenant, plan.limit, plan.matches_nothing, plan.consistency_level) == (
        None,
        3,
        False,
        None,
    )
    assert plan_hybrid(query(fusion="ranked"), SPEC, INFO).kwargs["fusion_type"] == (
        HybridFusion.RANKED
    )


def test_alpha_goes_to_the_server_unchanged() -> None:
    # DESIGN.md 1: alpha is the vector weight, 0 stays 0 (no `or 0.5`).
    for alpha in (0.0, 0.3, 1.0):
        assert plan_hybrid(query(alpha=alpha), SPEC, INFO).kwargs["alpha"] == alpha


def test_a_deeper_fetch_k_asks_for_fetch_k_results() -> None:
    # Each leg fetches max(100, limit): limit = fetch_k makes the legs fetch_k deep.
    assert plan_hybrid(query(fetch_k=100), SPEC, INFO).limit == 3
    assert plan_hybrid(query(fetch_k=250), SPEC, INFO).limit == 250
    assert plan_hybrid(query(k=150, fetch_k=150), SPEC, INFO).limit == 150
    with pytest.raises(ConfigError, match="auto_limit cannot be combined"):
        plan_hybrid(query(fetch_k=250, options={"auto_limit": 1}), SPEC, INFO)
    assert plan_hybrid(query(options={"auto_limit": 1}), SPEC, INFO).kwargs["auto_limit"] == 1


def test_what_weaviate_cannot_do_is_refused_before_sending() -> None:
    with pytest.raises(ConfigError, match="callable filters"):
        plan_hybrid(query(predicate=lambda _: True), SPEC, INFO)
    with pytest.raises(ConfigError, match="rank_constant=10"):
        plan_hybrid(query(rank_constant=10), SPEC, INFO)
    with pytest.raises(ConfigError, match="fetch_k=50"):
        plan_hybrid(query(fetch_k=50), SPEC, INFO)
    with pytest.raises(ConfigError, match="fusion must be one of"):
        plan_hybrid(query(fusion="dbsf"), SPEC, INFO)
    with pytest.raises(ConfigError, match="unknown Weaviate option 'nope'"):
        plan_hybrid(query(options={"nope": 1}), SPEC, INFO)


def test_options_need_a_recent_enough_server() -> None:
    options = {"bm25_operator": "and"}
    with pytest.raises(ConfigError, match=r"bm25_operator needs Weaviate >= 1\.31\.0"):
        plan_hybrid(query(options=options), SPEC, INFO, server_version=(1, 30, 2))
    plan = plan_hybrid(query(options=options), SPEC, INFO, server_version=(1, 39, 3))
    assert plan.kwargs["bm25_operator"] == BM25Operator.and_()
    # An unknown version (an async backend before its first call) is not checked.
    assert "bm25_operator" in plan_hybrid(query(options=options), SPEC, INFO).kwargs


def test_tenant_and_level_pick_the_collection_handle_and_are_not_sent() -> None:
    plan = plan_hybrid(query(), SPEC, INFO, tenant="t1", level="ONE")
    assert (plan.tenant, plan.consistency_level) == ("t1", ConsistencyLevel.ONE)
    chosen = plan_hybrid(
        query(options={"tenant": "t2", "consistency_level": "all"}),
        SPEC,
        INFO,
        tenant="t1",
        level="ONE",
    )
    assert (chosen.tenant, chosen.consistency_level) == ("t2", ConsistencyLevel.ALL)
    assert "tenant" not in chosen.kwargs
    assert "consistency_level" not in chosen.kwargs
    assert request_level(None, None) is None
    assert request_level("quorum", "ONE") == ConsistencyLevel.QUORUM


def test_a_filter_is_translated_or_decided_without_the_server() -> None:
    plan = plan_hybrid(query(filter=Comparison("year", "$gte", 2020)), SPEC, INFO)
    assert "filters" in plan.kwargs
    assert not plan.matches_nothing
    # A key the collection lacks matches nothing: no request at all.
    nothing = plan_hybrid(query(filter=Comparison("missing", "$eq", 1)), SPEC, INFO)
    assert nothing.matches_nothing
    # Values of another type never compare, not even as "not equal" (as locally).
    other_type = And((Comparison("year", "$gte", 2020), Comparison("year", "$ne", "x")))
    assert plan_hybrid(query(filter=other_type), SPEC, INFO).matches_nothing
    # No integer is 1.5: `$nin` then holds for every document, and no filter is sent.
    everything = Comparison("year", "$nin", (1.5,))
    assert "filters" not in plan_hybrid(query(filter=everything), SPEC, INFO).kwargs


def test_the_schema_is_read_again_only_for_unknown_filter_keys() -> None:
    assert not needs_refresh(query(), INFO)
    assert not needs_refresh(query(filter=Comparison("year", "$eq", 1)), INFO)
    assert needs_refresh(query(filter=Comparison("source", "$eq", "a")), INFO)


# ---------------------------------------------------------------------------- decoding


def test_objects_become_documents_with_the_score_metadata() -> None:
    objects = [
        result(
            UUID_A,
            {"text": "error E1234", "doc_id": "a", "year": 2024, "tag": None},
            score=0.8339173197746277,
            explain=RELATIVE_BOTH,
        ),
        result(UUID_B, {"text": "the cat"}, score=0.0, explain=RELATIVE_VECTOR_ONLY),
    ]
    first, second = to_documents(objects, query(), SPEC)
    assert (first.id, first.page_content) == ("a", "error E1234")
    assert set(first.metadata) == {"year", *SCORE_KEYS}  # no doc_id, text or None values
    assert first.metadata["hybrid_score"] == 0.8339173197746277
    assert first.metadata["keyword_score"] == pytest.approx(0.5213263)
    assert first.metadata["keyword_contribution"] == pytest.approx(0.49655223)
    assert first.metadata["vector_score"] == pytest.approx(0.16804546)
    assert first.metadata["vector_contribution"] == pytest.approx(0.3373651)
    assert first.metadata["keyword_rank"] is None  # not reported under relative-score fusion
    assert (first.metadata["alpha"], first.metadata["fusion"]) == (0.5, "relative_score")
    # No id property: the id is the object UUID (documents written by other tools).
    assert second.id == UUID_B
    assert second.metadata["keyword_score"] is None
    assert second.metadata["vector_score"] == pytest.approx(-0.19845963)


def test_ranked_fusion_reports_ranks_recovered_from_the_contributions() -> None:
    objects = [result(UUID_A, {"text": "x", "doc_id": "a"}, score=0.016393, explain=RANKED_BOTH)]
    (doc,) = to_documents(objects, query(fusion="ranked"), SPEC)
    # 0.5 / (0 + 60) = 0.0083333 would be rank 1; 0.008196721 = 0.5 / (1 + 60): rank 2.
    assert (doc.metadata["keyword_rank"], doc.metadata["vector_rank"]) == (2, 2)
    assert doc.metadata["keyword_score"] is None


def test_duplicates_are_dropped_and_k_is_kept() -> None:
    objects = [
        result(
            str(uuid.uuid5(uuid.NAMESPACE_DNS, n)), {"text": n, "doc_id": i}, score=s, explain=None
        )
        for n, i, s in [
            ("one", "a", 0.9),
            ("two", "a", 0.8),
            ("three", "b", 0.7),
            ("four", "c", 0.6),
        ]
    ]
    docs = to_documents(objects, query(k=2), SPEC)
    assert [d.id for d in docs] == ["a", "b"]
    assert docs[0].page_content == "one"
    # An unparseable explanation keeps the fused score without per-leg evidence.
    assert docs[0].metadata["hybrid_score"] == 0.9
    assert docs[0].metadata["keyword_contribution"] is None


def test_a_missing_score_or_text_is_nan_and_empty() -> None:
    (doc,) = to_documents([result(UUID_A, {}, score=None, explain=None)], query(), SPEC)
    assert math.isnan(doc.metadata["hybrid_score"])
    assert (doc.id, doc.page_content) == (UUID_A, "")


def test_other_property_names() -> None:
    spec = CollectionSpec(text_key="body", id_property=None)
    obj = result(UUID_A, {"body": "hello", "doc_id": "kept"}, score=1.0, explain=None)
    assert object_id(obj, spec) == UUID_A
    assert source_document(obj, spec).metadata == {"doc_id": "kept"}
    assert plan_hybrid(query(), spec, CollectionInfo()).kwargs["query_properties"] == ["body"]


# ---------------------------------------------------------------------------- client fusion


def test_fusions_the_server_lacks_plan_one_query_per_leg() -> None:
    dbsf = query(fusion="dbsf", fetch_k=120)
    assert client_fusion.needs_client_fusion(dbsf)
    assert not client_fusion.needs_client_fusion(query())
    plan = plan_hybrid(client_fusion.server_query(dbsf), SPEC, INFO)
    legs = client_fusion.leg_kwargs(plan, dbsf)
    assert {leg: (kw["alpha"], kw["limit"]) for leg, kw in legs.items()} == {
        "keyword": (0.0, 120),
        "vector": (1.0, 120),
    }
    assert set(client_fusion.leg_kwargs(plan, query(fusion="dbsf", alpha=0.0))) == {"keyword"}
    assert set(client_fusion.leg_kwargs(plan, query(fusion="dbsf", alpha=1.0))) == {"vector"}


def test_client_fusion_decodes_both_legs_into_documents() -> None:
    keyword = [
        result(UUID_A, {"text": "a", "doc_id": "a"}, score=1.0, explain=None),
        result(UUID_B, {"text": "b", "doc_id": "b"}, score=0.5, explain=None),
    ]
    vector = [result(UUID_B, {"text": "b", "doc_id": "b"}, score=0.9, explain=None)]
    fusion_query = query(fusion="dbsf", k=2)
    fused = client_fusion.fuse_objects(
        fusion_query, {"keyword": keyword, "vector": vector}, lambda o: object_id(o, SPEC)
    )
    docs = client_fusion.fused_documents(fused, fusion_query, SPEC)
    assert {d.id for d in docs} == {"a", "b"}
    assert all(d.metadata["fusion"] == "dbsf" for d in docs)
    by_id = {d.id: d for d in docs}
    # Without explain_score the server's score is the raw score of each leg.
    assert by_id["a"].metadata["keyword_score"] == 1.0
    assert by_id["a"].metadata["vector_score"] is None
    assert by_id["b"].metadata["vector_score"] == 0.9


# ---------------------------------------------------------------------------- steps


class RefusedError(Exception):
    pass


def operation(*, fail: bool) -> Any:
    """Steps as the backend writes them: calls, a handled failure, a concurrent pair."""
    try:
        first = yield call(1, fail=fail)
    except RefusedError:
        first = -1
    pair = yield Concurrent([call(2), call(3)])
    return [first, *pair]


def call(value: int, *, fail: bool = False) -> Any:
    """A sync call: returns its result (or raises) now."""
    if fail:
        raise RefusedError
    return value


async def acall(value: int, *, fail: bool = False) -> int:
    await asyncio.sleep(0)
    if fail:
        raise RefusedError
    return value


def aoperation(*, fail: bool) -> Any:
    try:
        first = yield acall(1, fail=fail)
    except RefusedError:
        first = -1
    pair = yield Concurrent([acall(2), acall(3)])
    return [first, *pair]


async def test_sync_and_async_drivers_run_the_same_steps_alike() -> None:
    assert run_sync(operation(fail=False)) == [1, 2, 3]
    assert run_sync(operation(fail=True)) == [-1, 2, 3]
    assert await run_async(aoperation(fail=False)) == [1, 2, 3]
    # The awaited call's exception is thrown in at its yield, where the steps catch it.
    assert await run_async(aoperation(fail=True)) == [-1, 2, 3]


async def test_an_unhandled_failure_leaves_the_steps_and_runs_their_finally() -> None:
    cleaned: list[str] = []

    def steps() -> Any:
        try:
            yield acall(1, fail=True)
        finally:
            cleaned.append("released")

    with pytest.raises(RefusedError):
        await run_async(steps())
    assert cleaned == ["released"]


def pipeline_of(calls: list[Any], width: int, finished: list[int]) -> Any:
    """Steps that make `calls` through a Pipeline that stops at the first exception."""
    return Pipeline(
        calls,
        width=width,
        stop=lambda outcome: isinstance(outcome, Exception),
        done=lambda i, _: finished.append(i),
    )


@pytest.mark.parametrize("width", [1, 2, 3])
async def test_a_pipeline_reports_every_outcome_and_stops_after_a_failure(width: int) -> None:
    def steps(make: Any) -> Any:
        outcomes = yield pipeline_of([make(i, fail=i == 2) for i in range(6)], width, finished)
        return outcomes

    def sync_call(i: int, *, fail: bool) -> Any:
        return functools.partial(call, i, fail=fail)

    def async_call(i: int, *, fail: bool) -> Any:
        return functools.partial(acall, i, fail=fail)

    for run, make in ((run_sync, sync_call), (None, async_call)):
        finished: list[int] = []
        outcomes = run(steps(make)) if run else await run_async(steps(make))
        assert outcomes[:2] == [0, 1]
        assert isinstance(outcomes[2], RefusedError)  # the exception, as a value
        # Calls already in flight when the failure came back still finish (and count);
        # none is started after it: at most `width - 1` beyond the failed one.
        started = sum(o is not NOT_STARTED for o in outcomes)
        assert 3 <= started <= 2 + width
        assert outcomes[started:] == [NOT_STARTED] * (6 - started)
        assert sorted(finished) == list(range(started))
