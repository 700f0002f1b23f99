"""Per-query alpha: the evidence, the label-free rule, and the JSON alpha model.

Expected values are written as the formulas of `langchain_hybrid.alpha_selection`.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from langchain_hybrid import Hit
from langchain_hybrid.alpha_selection import (
    FEATURES,
    AlphaEvidence,
    AlphaModel,
    choose_alpha,
    features,
    gather_evidence,
    identifier_terms,
)
from langchain_hybrid.errors import ConfigError

KEYWORD = [Hit("a", 12.0), Hit("b", 6.0), Hit("c", 3.0)]
VECTOR = [Hit("b", 0.8), Hit("d", 0.7), Hit("a", 0.6)]


def cv(scores: list[float]) -> float:
    mean = sum(scores) / len(scores)
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (len(scores) - 1))
    return sd / abs(mean)


def evidence(**changes: float) -> AlphaEvidence:
    base = {
        "keyword_hits": 100,
        "vector_hits": 100,
        "keyword_spread": 0.3,
        "vector_spread": 0.1,
        "keyword_top": 20.0,
        "vector_top": 0.6,
        "query_terms": 4,
        "identifier_terms": 0,
        "specificity": 5.0,
    }
    return AlphaEvidence(**{**base, **changes})  # type: ignore[arg-type]


# evidence ==================================================================================


def test_evidence_from_both_legs() -> None:
    e = gather_evidence("what causes E1234", ["caus", "e1234"], KEYWORD, VECTOR)
    assert (e.keyword_hits, e.vector_hits) == (3, 3)
    assert e.keyword_spread == pytest.approx(cv([12.0, 6.0, 3.0]))
    assert e.vector_spread == pytest.approx(cv([0.8, 0.7, 0.6]))
    assert (e.keyword_top, e.vector_top) == (12.0, 0.8)
    assert e.query_terms == 2
    assert e.identifier_terms == 1
    assert e.specificity == pytest.approx(12.0 / 2)
    assert json.loads(json.dumps(e.to_dict()))["identifier_terms"] == 1


def test_evidence_of_missing_legs() -> None:
    e = gather_evidence("nothing matches", [], None, [Hit("x", 0.5)])
    assert (e.keyword_hits, e.keyword_spread, e.keyword_top, e.specificity) == (0, 0.0, 0.0, 0.0)
    assert e.vector_spread == 0.0  # one hit: no spread


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("error E1234 in parse_args", ["E1234", "parse_args"]),
        ("upgrade to v1.2.3 now.", ["v1.2.3"]),
        ("call getUserName twice", ["getUserName"]),
        ("p53 and covid19", ["p53", "covid19"]),
        ("plain words only, 2024", []),
    ],
)
def test_identifier_terms(text: str, expected: list[str]) -> None:
    assert identifier_terms(text) == expected


# the rule ==================================================================================


def test_rule_moves_half_way_towards_the_spread_ratio() -> None:
    e = evidence(keyword_spread=0.3, vector_spread=0.1)
    ratio = 0.1 / (0.1 + 0.3)
    assert choose_alpha(e) == pytest.approx(0.5 + 0.5 * (ratio - 0.5))
    assert choose_alpha(evidence(keyword_spread=0.2, vector_spread=0.2)) == pytest.approx(0.5)


def test_identifiers_move_weight_to_the_keyword_leg() -> None:
    plain = choose_alpha(evidence(keyword_spread=0.2, vector_spread=0.2))
    with_ids = choose_alpha(
        evidence(keyword_spread=0.2, vector_spread=0.2, query_terms=4, identifier_terms=1)
    )
    assert with_ids == pytest.approx(plain * (1 - 0.5 * 1 / 4))


def test_rule_is_kept_inside_the_bounds_and_follows_empty_legs() -> None:
    assert choose_alpha(evidence(keyword_spread=0.0, vector_spread=5.0)) == pytest.approx(0.75)
    # ratio 0 -> 0.25, then every term an identifier halves it: the most keyword-heavy choice
    assert choose_alpha(
        evidence(query_terms=1, identifier_terms=3, vector_spread=0.0)
    ) == pytest.approx(0.25 * (1 - 0.5 * 3 / 3))
    assert choose_alpha(evidence(keyword_hits=0)) == 1.0
    assert choose_alpha(evidence(vector_hits=0)) == 0.0
    assert choose_alpha(evidence(keyword_spread=0.0, vector_spread=0.0)) == 0.5


# the model =================================================================================


def test_features_are_named_and_computed_from_the_evidence() -> None:
    e = evidence(keyword_spread=0.3, vector_spread=0.1, keyword_hits=50, identifier_terms=1)
    row = features(e, depth=100)
    assert len(row) == len(FEATURES)
    named = dict(zip(FEATURES, row, strict=True))
    assert named["spread_ratio"] == pytest.approx(0.1 / 0.4)
    assert named["log_keyword_spread"] == pytest.approx(math.log1p(0.3))
    assert named["identifier_share"] == pytest.approx(1 / 4)
    assert named["keyword_coverage"] == pytest.approx(50 / 100)


def test_fit_recovers_a_linear_rule() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, len(FEATURES)))
    y = 0.5 + 0.1 * x[:, 0] - 0.05 * x[:, 3]
    model = AlphaModel.fit(x, y, ridge=0.0)
    for row, target in zip(x[:5], y[:5], strict=True):
        assert model.predict_features(row) == pytest.approx(min(max(target, 0.05), 0.95))


def test_ridge_shrinks_towards_the_mean_alpha() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, len(FEATURES)))
    y = 0.5 + 0.2 * x[:, 0]
    weak = AlphaModel.fit(x, y, ridge=0.0)
    strong = AlphaModel.fit(x, y, ridge=1e6)
    assert abs(strong.coef[0]) < abs(weak.coef[0]) / 100
    assert strong.intercept == pytest.approx(float(np.mean(y)))


def test_save_and_load_round_trip_as_json(tmp_path) -> None:
    rng = np.random.default_rng(2)
    model = AlphaModel.fit(
        rng.normal(size=(30, len(FEATURES))), rng.uniform(size=30), notes={"dataset": "x"}
    )
    path = model.save(tmp_path / "models" / "alpha.json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    assert payload["format"] == "langchain-hybrid/alpha-model"
    assert payload["features"] == list(FEATURES)
    loaded = AlphaModel.load(path)
    assert loaded.coef == model.coef
    assert loaded.intercept == model.intercept
    assert loaded.notes == {"dataset": "x"}
    e = evidence()
    assert loaded.predict(e, depth=100) == model.predict(e, depth=100)
    assert list(tmp_path.joinpath("models").iterdir()) == [path]  # no temporary left behind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not readable JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"format": "other"}', "not a langchain-hybrid alpha model"),
        (
            '{"format": "langchain-hybrid/alpha-model", "version": 1, "features": ["x"]}',
            "fitted on features",
        ),
    ],
)
def test_bad_model_files_are_refused_clearly(tmp_path, content: str, message: str) -> None:
    path = tmp_path / "alpha.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        AlphaModel.load(path)


def test_missing_model_file_says_how_to_make_one(tmp_path) -> None:
    with pytest.raises(ConfigError, match="tune --per-query"):
        AlphaModel.load(tmp_path / "missing.json")


def test_model_shapes_are_checked() -> None:
    with pytest.raises(ConfigError, match="coefficients"):
        AlphaModel(coef=(1.0,), mean=(0.0,), scale=(1.0,), intercept=0.5)
    n = len(FEATURES)
    with pytest.raises(ConfigError, match="finite"):
        AlphaModel(coef=(math.nan,) * n, mean=(0.0,) * n, scale=(1.0,) * n, intercept=0.5)
