"""Parse Weaviate's hybrid `explain_score` text into per-leg evidence.

Weaviate reports how a hybrid score was made up only as text (`_additional.explainScore`,
`MetadataQuery(explain_score=True)`), one line per leg that found the document. The
formats come from `usecases/traverser/hybrid/hybrid_fusion.go` (v1.39.3):

- relative-score fusion (`FusionRelativeScore`), legs joined by `" - "`::

      Hybrid (Result Set keyword,bm25) Document <uuid>: original score 0.5213263,
        normalized score: 0.49655223 -
      Hybrid (Result Set vector,hybridVector) Document <uuid>: original score 0.16804546,
        normalized score: 0.3373651

  (one line per leg in the real text, wrapped here).

  `original score` is the leg's raw score (BM25, or vector similarity `1 - distance`).
  Despite its name, `normalized score` is already multiplied by the leg's weight: it is
  the leg's *contribution* (`weight * (s - min) / (max - min)`, or `weight` when
  `max == min`).

- ranked fusion (`FusionRanked`)::

      Hybrid (Result Set vector,hybridVector) Document <uuid> contributed 0.0081967 to the score
      Hybrid (Result Set keyword,bm25) Document <uuid> contributed 0.0081967 to the score

  The contribution is `weight / (i + 60)` with `i` the 0-based position in the leg, so the
  leg rank can be recovered exactly; the raw score is not reported.

So Weaviate reports the raw score but not the rank under relative-score fusion, and the
rank but not the raw score under ranked fusion. The missing value is `None`. Result-set
names were `keyword`/`vector` before v1.25 and `keyword,bm25`/`vector,<name>` since;
only the prefix is read. Numbers are Go's `%v` of a float32.

Pure: no Weaviate, LangChain or I/O imports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from langchain_hybrid._types import LegEvidence
from langchain_hybrid.fusion import DEFAULT_RANK_CONSTANT

if TYPE_CHECKING:
    from langchain_hybrid._types import Fusion, LegName

__all__ = ["ExplainedLeg", "ExplainedScore", "parse_explain_score", "to_evidence"]


_NUMBER: Final = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Inf|NaN"
_HEAD: Final = r"Hybrid \(Result Set (?P<set>[^)]*)\) Document (?P<id>[0-9A-Fa-f-]{36})"
_RELATIVE: Final = re.compile(
    _HEAD + rf": original score (?P<raw>{_NUMBER}), normalized score: (?P<contribution>{_NUMBER})"
)
_RANKED: Final = re.compile(_HEAD + rf" contributed (?P<contribution>{_NUMBER}) to the score")
_ANY_ENTRY: Final = re.compile(r"Hybrid \(Result Set ")
# A recovered rank must reproduce the reported float32 contribution this closely; float32
# keeps about 7 significant digits, neighbouring ranks differ by far more below 10^4.
_RANK_TOLERANCE: Final = 1e-5


@dataclass(frozen=True, slots=True)
class ExplainedLeg:
    """One leg's line of an `explain_score` text.

    Attributes:
        contribution: the part of the fused score from this leg (`weight * normalized`).
        raw_score: the leg's raw score (BM25, or similarity `1 - distance`); reported
            under relative-score fusion only, else `None`.
    """

    contribution: float
    raw_score: float | None


@dataclass(frozen=True, slots=True)
class ExplainedScore:
    """The legs of one hybrid result, as reported by Weaviate."""

    keyword: ExplainedLeg | None
    vector: ExplainedLeg | None


def _leg_name(result_set: str) -> LegName | None:
    head = result_set.split(",", 1)[0].strip()
    if head == "keyword":
        return "keyword"
    if head == "vector":
        return "vector"
    return None


def parse_explain_score(
    text: str | None, *, fusion: Fusion, object_id: str | None = None
) -> ExplainedScore | None:
    r"""Parse the `explain_score` of one hybrid result.

    Args:
        text: the `explain_score` string (`None` when the server sent none).
        fusion: the fusion method of the query, which decides the expected format.
        object_id: if given, every line must name this object UUID.

    Returns:
        The legs that found the document, or `None` if the text is not in a known
        format (a future server version, or a query that was not a hybrid query): the
        caller then reports the fused score without per-leg evidence.

    Example:
        >>> text = (
        ...     "\\nHybrid (Result Set keyword,bm25) Document "
        ...     "c8691da2-158a-5ed6-8537-0e6f140801f2 contributed 0.016666668 to the score"
        ... )
        >>> parse_explain_score(text, fusion="ranked").keyword
        ExplainedLeg(contribution=0.016666668, raw_score=None)
    """
    if not text:
        return None
    pattern = _RELATIVE if fusion == "relative_score" else _RANKED
    matches = list(pattern.finditer(text))
    # Every "Hybrid (Result Set" entry must parse: a partly understood text is not evidence.
    if not matches or len(matches) != len(_ANY_ENTRY.findall(text)):
        return None
    legs: dict[LegName, ExplainedLeg] = {}
    for match in matches:
        name = _leg_name(match["set"])
        if name is None or name in legs:
            return None
        if object_id is not None and match["id"].lower() != object_id.lower():
            return None
        contribution = float(match["contribution"])
        raw = match.groupdict().get("raw")
        raw_score = float(raw) if raw is not None else None
        if not math.isfinite(contribution) or (raw_score is not None and math.isnan(raw_score)):
            return None
        legs[name] = ExplainedLeg(contribution=contribution, raw_score=raw_score)
    return ExplainedScore(keyword=legs.get("keyword"), vector=legs.get("vector"))


def _ranked_rank(contribution: float, weight: float, rank_constant: int) -> int | None:
    """1-based rank from `contribution = weight / (i + rank_constant)`, if consistent."""
    if contribution <= 0 or weight <= 0:
        return None
    position = round(weight / contribution) - rank_constant
    if position < 0:
        return None
    expected = weight / (position + rank_constant)
    if abs(expected - contribution) > _RANK_TOLERANCE * expected:
        return None
    return position + 1


def to_evidence(
    explained: ExplainedLeg,
    *,
    weight: float,
    fusion: Fusion,
    rank_constant: int = DEFAULT_RANK_CONSTANT,
) -> LegEvidence:
    """The shared evidence of one leg (`langchain_hybrid.results` keys).

    Args:
        explained: the parsed line of the leg.
        weight: the leg's weight: `1 - alpha` for the keyword leg, `alpha` for the vector leg.
        fusion: the fusion method of the query.
        rank_constant: ranked fusion's constant (Weaviate: 60).

    Returns:
        `LegEvidence` whose `normalized` is `contribution / weight`. Under relative-score
        fusion `rank` is `None` (not reported); under ranked fusion `score` is `None`.

    Example:
        >>> leg = ExplainedLeg(contribution=0.004918033, raw_score=None)
        >>> to_evidence(leg, weight=0.3, fusion="ranked").rank
        2
    """
    normalized = explained.contribution / weight if weight > 0 else 0.0
    if fusion == "ranked":
        rank = _ranked_rank(explained.contribution, weight, rank_constant)
        score = None
    else:
        rank = None
        score = explained.raw_score
    # Weaviate reports one of the two per fusion method; `None` means "not reported".
    return LegEvidence(
        score=score,
        rank=rank,
        normalized=normalized,
        contribution=explained.contribution,
    )
