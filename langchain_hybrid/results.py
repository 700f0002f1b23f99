"""The result contract: how a fused hit becomes a returned `Document`.

This is the only place the metadata key names live. Every backend returns documents
built here, so local and Weaviate results can be read the same way:

| key | meaning |
|---|---|
| `hybrid_score` | the fused score the results are sorted by |
| `keyword_score`, `vector_score` | each leg's raw score (BM25, similarity) or `None` |
| `keyword_rank`, `vector_rank` | 1-based position in each leg's list, or `None` |
| `keyword_contribution`, `vector_contribution` | `weight * normalised`; sum = `hybrid_score` |
| `alpha`, `fusion` | the settings that produced the ranking (the alpha this query used) |
| `alpha_evidence` | per-query alpha only: what it was chosen from (`AlphaEvidence`) |

`None` means the leg did not find the document (or was not run: alpha 0 or 1).
`alpha_evidence` appears with `alpha="auto"` or an alpha model: both legs' hit counts,
score spreads and top scores, the query's term count, specificity and identifier-like
terms (`langchain_hybrid.alpha_selection.AlphaEvidence.to_dict()`).
Fused scores are relative to one query's result lists: the top document of a leg always
gets that leg's full weight under relative-score fusion, so they are not probabilities
and should not be compared across queries or thresholded as such.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from langchain_core.documents import Document

from langchain_hybrid._types import FusedHit, Fusion

if TYPE_CHECKING:
    from langchain_hybrid.alpha_selection import AlphaEvidence

__all__ = ["EVIDENCE_KEY", "SCORE_KEYS", "score_metadata", "to_document"]

SCORE_KEYS: Final[tuple[str, ...]] = (
    "hybrid_score",
    "keyword_score",
    "keyword_rank",
    "keyword_contribution",
    "vector_score",
    "vector_rank",
    "vector_contribution",
    "alpha",
    "fusion",
)
"""The metadata keys every returned `Document` carries (see the table above)."""

EVIDENCE_KEY: Final = "alpha_evidence"
"""Present only when the query's alpha was chosen per query (see the table above)."""


def score_metadata(hit: FusedHit, *, alpha: float, fusion: Fusion) -> dict[str, Any]:
    """The score keys of one fused hit."""
    kw, vec = hit.keyword, hit.vector
    return {
        "hybrid_score": hit.score,
        "keyword_score": kw.score if kw else None,
        "keyword_rank": kw.rank if kw else None,
        "keyword_contribution": kw.contribution if kw else None,
        "vector_score": vec.score if vec else None,
        "vector_rank": vec.rank if vec else None,
        "vector_contribution": vec.contribution if vec else None,
        "alpha": alpha,
        "fusion": fusion,
    }


def to_document(
    source: Document,
    hit: FusedHit,
    *,
    alpha: float,
    fusion: Fusion,
    evidence: AlphaEvidence | None = None,
) -> Document:
    """A copy of `source` with `id` set and the score keys added to its metadata.

    The source document is never mutated (stores may hand out shared objects). A user
    metadata key with the same name as a score key is overwritten in the copy. With
    `evidence` (a per-query alpha), `alpha_evidence` holds it as a dictionary.
    """
    metadata = {**source.metadata, **score_metadata(hit, alpha=alpha, fusion=fusion)}
    if evidence is not None:
        metadata[EVIDENCE_KEY] = evidence.to_dict()
    return Document(id=hit.id, page_content=source.page_content, metadata=metadata)
