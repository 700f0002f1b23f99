"""Per-query alpha: the weight of the vector leg chosen from what one query's legs show.

A fixed alpha is a per-corpus compromise; within one corpus some queries are better
served by the keyword leg (rare terms, part numbers, error codes) and others by the
vector leg (paraphrases). Both legs run before fusion anyway, so their score lists are
evidence available at query time, with no labels:

- each leg's *spread*, the coefficient of variation `sd / |mean|` of its raw scores: a
  leg that separates its candidates sharply is more sure of its ranking than one whose
  scores are nearly flat;
- the query's terms: how many, how specific (the keyword leg's best BM25 score per query
  term, which rises with the terms' inverse document frequency), and how many look like
  identifiers (letters mixed with digits, `snake_case`, `camelCase`, dotted versions),
  which embeddings represent poorly and exact matching finds;
- each leg's hit count (a keyword leg that matched nothing has no say).

`choose_alpha` is a fixed rule on this evidence (`alpha="auto"`); `AlphaModel` is a small
linear model fitted on labelled queries (`langchain-hybrid tune --per-query`), saved as
JSON and used with `alpha_model=PATH`. Everything here is pure: no I/O except
`AlphaModel.save` / `AlphaModel.load`.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from langchain_hybrid._types import Hit, HybridQuery
from langchain_hybrid.errors import ConfigError

__all__ = [
    "AUTO",
    "FEATURES",
    "AlphaEvidence",
    "AlphaModel",
    "AlphaSelector",
    "alpha_selector",
    "choose_alpha",
    "gather_evidence",
    "identifier_terms",
    "load_alpha_model",
    "select_alpha",
]

AUTO: Final = "auto"
"""The `alpha` value that asks for a per-query alpha chosen by `choose_alpha`."""

_MIN_ALPHA: Final = 0.05
_MAX_ALPHA: Final = 0.95
# How far the rule moves from an even split towards the legs' spread ratio. Set once, from
# first principles (a half step: the evidence is noisy), not fitted on any collection.
_PULL: Final = 0.5
# The most a query made only of identifiers shifts weight to the keyword leg.
_IDENTIFIER_SHIFT: Final = 0.5

# A token mixing letters and digits (E1234, p53, covid19), or joined by `_` or `.` between
# alphanumerics (foo_bar, v1.2.3), or camelCase (getUserName).
_IDENTIFIER: Final = re.compile(
    r"^(?=.*[^\W\d_])(?=.*\d)[^\W_]+$"  # letters and digits
    r"|^\w+(?:[_.]\w+)+$"  # snake_case, dotted
    r"|^[a-z]+[A-Z]\w*$"  # camelCase
)
_RAW_TOKEN: Final = re.compile(r"[\w.]+")


@dataclass(frozen=True)
class AlphaEvidence:
    """What one query's legs show, before fusion.

    Attributes:
        keyword_hits: number of keyword hits (0: no query term matched).
        vector_hits: number of vector hits.
        keyword_spread: `sd / |mean|` of the keyword leg's raw BM25 scores (0 if < 2 hits).
        vector_spread: `sd / |mean|` of the vector leg's similarities (0 if < 2 hits).
        keyword_top: the best BM25 score (0 if none).
        vector_top: the best similarity (0 if none).
        query_terms: analysed query terms (stopwords removed).
        identifier_terms: raw query tokens that look like identifiers.
        specificity: the best BM25 score per query term, a proxy for the terms' mean
            inverse document frequency (rare terms score high).
    """

    keyword_hits: int
    vector_hits: int
    keyword_spread: float
    vector_spread: float
    keyword_top: float
    vector_top: float
    query_terms: int
    identifier_terms: int
    specificity: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary (the `alpha_evidence` metadata of each result)."""
        return asdict(self)


def identifier_terms(text: str) -> list[str]:
    """The tokens of `text` that look like identifiers rather than words.

    Example:
        >>> identifier_terms("error E1234 in parse_args of v1.2 (getUserName)")
        ['E1234', 'parse_args', 'v1.2', 'getUserName']
    """
    tokens = (token.strip(".") for token in _RAW_TOKEN.findall(text))
    return [token for token in tokens if token and _IDENTIFIER.match(token)]


def _spread(scores: Sequence[float]) -> float:
    """Coefficient of variation `sd / |mean|` (sample sd), 0 with fewer than two scores."""
    if len(scores) < 2:  # noqa: PLR2004 - a standard deviation needs two values
        return 0.0
    mean = math.fsum(scores) / len(scores)
    if mean == 0:
        return 0.0
    variance = math.fsum((s - mean) ** 2 for s in scores) / (len(scores) - 1)
    return math.sqrt(variance) / abs(mean)


def gather_evidence(
    text: str,
    query_tokens: Sequence[str],
    keyword: Sequence[Hit] | None,
    vector: Sequence[Hit] | None,
) -> AlphaEvidence:
    """The evidence of one query from its text, analysed terms and both legs' hits.

    Example:
        >>> e = gather_evidence("E1234", ["e1234"], [Hit("a", 6.0), Hit("b", 2.0)], [Hit("b", 0.4)])
        >>> e.keyword_hits, e.identifier_terms, e.specificity
        (2, 1, 6.0)
    """
    keyword_scores = [hit.score for hit in keyword or ()]
    vector_scores = [hit.score for hit in vector or ()]
    terms = len(query_tokens)
    keyword_top = max(keyword_scores, default=0.0)
    return AlphaEvidence(
        keyword_hits=len(keyword_scores),
        vector_hits=len(vector_scores),
        keyword_spread=_spread(keyword_scores),
        vector_spread=_spread(vector_scores),
        keyword_top=keyword_top,
        vector_top=max(vector_scores, default=0.0),
        query_terms=terms,
        identifier_terms=len(identifier_terms(text)),
        specificity=keyword_top / terms if terms else 0.0,
    )


def choose_alpha(evidence: AlphaEvidence) -> float:
    """The vector weight for one query, from its evidence alone (no labels).

    `r = vector_spread / (vector_spread + keyword_spread)` is 0.5 when both legs separate
    their candidates alike; alpha moves half-way from 0.5 towards `r`. Then identifier-like
    terms move weight to the keyword leg: alpha is multiplied by
    `1 - 0.5 * identifier_terms / max(query_terms, identifier_terms)`. The result is kept in
    `[0.05, 0.95]` so neither leg is silenced by noisy evidence; a leg that found nothing
    gets weight 0 (the other leg then decides alone, as fusion would anyway).

    Example:
        >>> e = AlphaEvidence(100, 100, 0.3, 0.3, 20.0, 0.6, 4, 0, 5.0)
        >>> choose_alpha(e)
        0.5
        >>> choose_alpha(AlphaEvidence(100, 100, 0.3, 0.3, 20.0, 0.6, 2, 2, 10.0))
        0.25
    """
    if evidence.keyword_hits == 0:
        return 1.0
    if evidence.vector_hits == 0:
        return 0.0
    total = evidence.vector_spread + evidence.keyword_spread
    ratio = evidence.vector_spread / total if total > 0 else 0.5
    alpha = 0.5 + _PULL * (ratio - 0.5)
    terms = max(evidence.query_terms, evidence.identifier_terms)
    if evidence.identifier_terms and terms:
        alpha *= 1.0 - _IDENTIFIER_SHIFT * evidence.identifier_terms / terms
    return min(max(alpha, _MIN_ALPHA), _MAX_ALPHA)


# ---------------------------------------------------------------------------- learned model

FEATURES: Final[tuple[str, ...]] = (
    "spread_ratio",
    "log_keyword_spread",
    "log_vector_spread",
    "vector_top",
    "log_specificity",
    "log_query_terms",
    "identifier_share",
    "keyword_coverage",
)
"""The inputs of `AlphaModel`, computed from `AlphaEvidence` by `features`."""

_FORMAT: Final = "langchain-hybrid/alpha-model"
_VERSION: Final = 1


def features(evidence: AlphaEvidence, depth: int) -> list[float]:
    """`AlphaModel`'s inputs for one query (`depth`: the legs' fetch depth)."""
    total = evidence.vector_spread + evidence.keyword_spread
    terms = max(evidence.query_terms, evidence.identifier_terms, 1)
    return [
        evidence.vector_spread / total if total > 0 else 0.5,
        math.log1p(evidence.keyword_spread),
        math.log1p(evidence.vector_spread),
        evidence.vector_top,
        math.log1p(evidence.specificity),
        math.log1p(evidence.query_terms),
        evidence.identifier_terms / terms,
        min(evidence.keyword_hits / depth, 1.0) if depth > 0 else 0.0,
    ]


@dataclass(frozen=True)
class AlphaModel:
    """A linear model from `features` to a query's alpha, fitted on labelled queries.

    `alpha = clip(intercept + sum(coef * (x - mean) / scale), 0.05, 0.95)`. Fitted by
    ridge regression on each tuning query's best alpha (see `fit`); saved as JSON (never
    pickle) with the names of its features, so a file made for other features is refused.

    Example:
        >>> model = AlphaModel.constant(0.4)
        >>> model.predict(AlphaEvidence(10, 10, 0.3, 0.2, 9.0, 0.6, 3, 0, 3.0), depth=100)
        0.4
    """

    coef: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    intercept: float
    ridge: float = 1.0
    notes: Mapping[str, Any] | None = None
    """Free-form provenance (dataset, split, scores), written to the JSON file."""

    def __post_init__(self) -> None:
        """Check the shapes and that every number is finite."""
        sizes = {len(self.coef), len(self.mean), len(self.scale)}
        if sizes != {len(FEATURES)}:
            msg = (
                f"an alpha model needs {len(FEATURES)} coefficients, means and scales "
                f"({', '.join(FEATURES)}), got {sorted(sizes)}"
            )
            raise ConfigError(msg)
        values = [*self.coef, *self.mean, *self.scale, self.intercept]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            msg = "an alpha model's numbers must all be finite"
            raise ConfigError(msg)
        if any(s <= 0 for s in self.scale):
            msg = "an alpha model's scales must be positive"
            raise ConfigError(msg)

    @classmethod
    def constant(cls, alpha: float) -> AlphaModel:
        """A model that always answers `alpha` (clipped to `[0.05, 0.95]`)."""
        n = len(FEATURES)
        return cls(coef=(0.0,) * n, mean=(0.0,) * n, scale=(1.0,) * n, intercept=float(alpha))

    @classmethod
    def fit(
        cls,
        x: Sequence[Sequence[float]] | np.ndarray,
        y: Sequence[float] | np.ndarray,
        *,
        ridge: float = 1.0,
        notes: Mapping[str, Any] | None = None,
    ) -> AlphaModel:
        """Ridge regression of per-query best alphas `y` on feature rows `x` (numpy).

        Features are standardised first, so `ridge` shrinks every coefficient alike
        towards the mean alpha of the tuning queries.

        Example:
            >>> x = [[0.1 * i] * len(FEATURES) for i in range(10)]
            >>> y = [0.2 + 0.05 * i for i in range(10)]
            >>> round(AlphaModel.fit(x, y, ridge=0.0).intercept, 3)
            0.425
        """
        features_ = np.asarray(x, dtype=np.float64)
        target = np.asarray(y, dtype=np.float64)
        if features_.ndim != 2 or features_.shape[1] != len(FEATURES):  # noqa: PLR2004
            msg = f"x must have one row of {len(FEATURES)} features per query"
            raise ConfigError(msg)
        if len(target) != len(features_) or len(target) < 2:  # noqa: PLR2004
            msg = "fit needs one alpha per feature row and at least two queries"
            raise ConfigError(msg)
        if ridge < 0 or not math.isfinite(ridge):
            msg = f"ridge must be a finite number >= 0, got {ridge!r}"
            raise ConfigError(msg)
        mean = features_.mean(axis=0)
        scale = features_.std(axis=0)
        scale[scale == 0] = 1.0
        z = (features_ - mean) / scale
        intercept = float(target.mean())
        gram = z.T @ z + ridge * np.eye(z.shape[1])
        coef = np.linalg.lstsq(gram, z.T @ (target - intercept), rcond=None)[0]
        return cls(
            coef=tuple(float(c) for c in coef),
            mean=tuple(float(m) for m in mean),
            scale=tuple(float(s) for s in scale),
            intercept=intercept,
            ridge=float(ridge),
            notes=dict(notes or {}),
        )

    def predict_features(self, row: Sequence[float]) -> float:
        """The alpha for one row of `features`."""
        value = self.intercept + math.fsum(
            c * (v - m) / s
            for c, v, m, s in zip(self.coef, row, self.mean, self.scale, strict=True)
        )
        return min(max(value, _MIN_ALPHA), _MAX_ALPHA)

    def predict(self, evidence: AlphaEvidence, *, depth: int) -> float:
        """The alpha for one query; a leg that found nothing gets weight 0, as in `choose_alpha`."""
        if evidence.keyword_hits == 0:
            return 1.0
        if evidence.vector_hits == 0:
            return 0.0
        return self.predict_features(features(evidence, depth))

    # ------------------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The JSON document `save` writes."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "features": list(FEATURES),
            "coef": list(self.coef),
            "mean": list(self.mean),
            "scale": list(self.scale),
            "intercept": self.intercept,
            "ridge": self.ridge,
            "notes": dict(self.notes or {}),
        }

    @classmethod
    def from_json(
        cls, payload: Mapping[str, Any], *, source: str = "the alpha model"
    ) -> AlphaModel:
        """Read a document written by `to_json`; `ConfigError` says what does not fit."""
        if payload.get("format") != _FORMAT or payload.get("version") != _VERSION:
            msg = (
                f"{source} is not a langchain-hybrid alpha model (format {_FORMAT!r}, "
                f"version {_VERSION}); make one with `langchain-hybrid tune --per-query`"
            )
            raise ConfigError(msg)
        if list(payload.get("features", [])) != list(FEATURES):
            msg = (
                f"{source} was fitted on features {payload.get('features')}, this version "
                f"computes {list(FEATURES)}: fit it again with `langchain-hybrid tune --per-query`"
            )
            raise ConfigError(msg)
        try:
            return cls(
                coef=tuple(float(v) for v in payload["coef"]),
                mean=tuple(float(v) for v in payload["mean"]),
                scale=tuple(float(v) for v in payload["scale"]),
                intercept=float(payload["intercept"]),
                ridge=float(payload.get("ridge", 1.0)),
                notes=payload.get("notes") or {},
            )
        except (KeyError, TypeError, ValueError) as exc:
            msg = f"{source} is damaged: {exc}"
            raise ConfigError(msg) from exc

    def save(self, path: str | Path) -> Path:
        """Write the model as JSON, atomically (a temporary file renamed over `path`)."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self.to_json(), out, indent=1)
                out.write("\n")
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    @classmethod
    def load(cls, path: str | Path) -> AlphaModel:
        """Read a model written by `save`."""
        source = Path(path)
        try:
            payload = json.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            msg = (
                f"alpha model {source} does not exist; "
                "make one with `langchain-hybrid tune --per-query`"
            )
            raise ConfigError(msg) from exc
        except (OSError, ValueError) as exc:
            msg = f"alpha model {source} is not readable JSON: {exc}"
            raise ConfigError(msg) from exc
        if not isinstance(payload, dict):
            msg = f"alpha model {source} is not a JSON object"
            raise ConfigError(msg)
        return cls.from_json(payload, source=f"alpha model {source}")


# ---------------------------------------------------------------------------- query time

AlphaSelector = Callable[[AlphaEvidence, int], float]
"""`selector(evidence, depth) -> alpha`: how a per-query alpha is chosen at query time."""


def _rule(evidence: AlphaEvidence, depth: int) -> float:  # noqa: ARG001 - same signature
    return choose_alpha(evidence)


def load_alpha_model(model: object) -> AlphaModel | None:
    """An `AlphaModel`, from itself or from the path of its JSON file (`None` stays `None`)."""
    if model is None or isinstance(model, AlphaModel):
        return model
    if not isinstance(model, (str, os.PathLike)):
        msg = f"alpha_model must be an AlphaModel or the path of its JSON file, got {model!r}"
        raise ConfigError(msg)
    return AlphaModel.load(Path(model))


def alpha_selector(alpha: float | str, model: AlphaModel | None) -> AlphaSelector | None:
    """How this query's alpha is chosen: `None` for a fixed number, else the rule or model.

    A number wins (it was asked for); `"auto"` is the label-free rule; otherwise a model,
    when there is one, chooses.

    Example:
        >>> alpha_selector(0.3, None) is None
        True
        >>> alpha_selector("auto", None)(AlphaEvidence(10, 10, 0.2, 0.2, 9.0, 0.6, 3, 0, 3.0), 100)
        0.5
    """
    if alpha == AUTO:
        return _rule
    if isinstance(alpha, str):
        msg = f'alpha must be a number in [0, 1] or "auto", got {alpha!r}'
        raise ConfigError(msg)
    if model is not None:
        return lambda evidence, depth: model.predict(evidence, depth=depth)
    return None


def select_alpha(
    query: HybridQuery,
    query_tokens: Callable[[str], Sequence[str]],
    keyword: Sequence[Hit] | None,
    vector: Sequence[Hit] | None,
) -> tuple[float, AlphaEvidence | None]:
    """The alpha to fuse this query with, and the evidence it was chosen from (if chosen).

    `query_tokens` is the keyword index's analysis of query text, so the evidence is
    computed exactly as `langchain-hybrid tune --per-query` computed it when fitting.
    """
    selector = query.alpha_selector
    if selector is None:
        return query.alpha, None
    evidence = gather_evidence(query.text, list(query_tokens(query.text)), keyword, vector)
    return float(selector(evidence, query.fetch_k)), evidence
