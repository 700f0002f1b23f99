"""`langchain-hybrid demo --serve`: the three rankings on a local web page.

Standard library only (`http.server`), bound to 127.0.0.1: one HTML page with inline
JavaScript (`page.html`, no build step) and one JSON endpoint,

    GET /api/search?q=TEXT&alpha=0.5&k=10

which returns the keyword, vector and hybrid rankings of `q`, each hit with its rank and
score in both legs. The page calls it as the user types and as the alpha slider moves;
the legs do not depend on alpha, so they are computed once per query and only the
hybrid ranking is recomputed per slider position.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from langchain_core.documents import Document

from langchain_hybrid.demo.search import LEG_DEPTH
from langchain_hybrid.errors import ConfigError, HybridSearchError
from langchain_hybrid.retriever import HybridRetriever

__all__ = [
    "HOST",
    "MAX_K",
    "MAX_QUERY_CHARS",
    "DemoInfo",
    "DemoServer",
    "make_server",
    "search_payload",
]

HOST: Final = "127.0.0.1"
"""The only address the page is served on: it is a local playground, not a service."""
MAX_K: Final = 50
MAX_QUERY_CHARS: Final = 500


@dataclass(frozen=True)
class DemoInfo:
    """What the page says about the demo it shows (served at `/api/info`)."""

    backend: str
    documents: int
    corpus: str
    license: str
    model: str
    alpha: float = 0.5
    k: int = 10
    examples: list[str] = field(default_factory=list)


class BadRequestError(ValueError):
    """A request the page should not have sent; answered with 400 and this message."""


def _legs(ranking: list[Document], score_key: str) -> dict[str, tuple[int, float | None]]:
    return {
        str(doc.id): (rank, doc.metadata.get(score_key))
        for rank, doc in enumerate(ranking, start=1)
    }


def _hit(
    doc: Document,
    score: float | None,
    keyword: dict[str, tuple[int, float | None]],
    vector: dict[str, tuple[int, float | None]],
) -> dict[str, Any]:
    doc_id = str(doc.id)
    k_rank, k_score = keyword.get(doc_id, (None, None))
    v_rank, v_score = vector.get(doc_id, (None, None))
    return {
        "id": doc_id,
        "text": doc.page_content,
        "score": score,
        "keyword_rank": k_rank,
        "keyword_score": k_score,
        "vector_rank": v_rank,
        "vector_score": v_score,
    }


def search_payload(
    keyword: list[Document], vector: list[Document], hybrid: list[Document], *, alpha: float, k: int
) -> dict[str, Any]:
    """The JSON the page reads: `k` hits per column, each with both legs' rank and score.

    `keyword` and `vector` are the single-leg rankings (alpha 0 and 1), fetched
    `LEG_DEPTH` deep so that a hybrid hit's place in each leg can be shown; a rank of
    `None` means "not in that leg's top `LEG_DEPTH`".

    Example:
        ```python
        search_payload(keyword, vector, hybrid, alpha=0.5, k=10)["hybrid"][0]
        # {"id": "errno.ENOENT", "score": 1.0, "keyword_rank": 1, "vector_rank": 6, ...}
        ```
    """
    k_legs, v_legs = _legs(keyword, "keyword_score"), _legs(vector, "vector_score")
    return {
        "alpha": alpha,
        "k": k,
        "leg_depth": LEG_DEPTH,
        "keyword": [_hit(d, d.metadata.get("keyword_score"), k_legs, v_legs) for d in keyword[:k]],
        "vector": [_hit(d, d.metadata.get("vector_score"), k_legs, v_legs) for d in vector[:k]],
        "hybrid": [_hit(d, d.metadata.get("hybrid_score"), k_legs, v_legs) for d in hybrid[:k]],
    }


class _Search:
    """The retriever behind a lock (one search at a time), with the legs cached per query."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self.lock = threading.Lock()
        self.legs = lru_cache(maxsize=256)(self._legs)

    def _legs(self, query: str) -> tuple[list[Document], list[Document]]:
        depth = max(LEG_DEPTH, MAX_K)
        return (
            self.retriever.invoke(query, alpha=0.0, k=depth),
            self.retriever.invoke(query, alpha=1.0, k=depth),
        )

    def __call__(self, query: str, *, alpha: float, k: int) -> dict[str, Any]:
        with self.lock:
            keyword, vector = self.legs(query)
            hybrid = self.retriever.invoke(query, alpha=alpha, k=k)
        return {"query": query, **search_payload(keyword, vector, hybrid, alpha=alpha, k=k)}


def _parse(query_string: str) -> tuple[str, float, int]:
    params = parse_qs(query_string)
    query = params.get("q", [""])[0].strip()
    if not query:
        msg = "q is empty: type a query"
        raise BadRequestError(msg)
    if len(query) > MAX_QUERY_CHARS:
        msg = f"q is {len(query)} characters long; at most {MAX_QUERY_CHARS}"
        raise BadRequestError(msg)
    try:
        alpha = float(params.get("alpha", ["0.5"])[0])
        k = int(params.get("k", ["10"])[0])
    except ValueError as exc:
        msg = f"alpha must be a number and k an integer ({exc})"
        raise BadRequestError(msg) from exc
    if not 0.0 <= alpha <= 1.0:
        msg = f"alpha must be from 0 to 1, got {alpha}"
        raise BadRequestError(msg)
    if not 1 <= k <= MAX_K:
        msg = f"k must be from 1 to {MAX_K}, got {k}"
        raise BadRequestError(msg)
    return query, alpha, k


def _page() -> bytes:
    return resources.files("langchain_hybrid.demo").joinpath("page.html").read_bytes()


class DemoServer(ThreadingHTTPServer):
    """The HTTP server, holding what its request handlers serve."""

    def __init__(self, port: int, search: _Search, info: DemoInfo) -> None:
        """Bind `HOST:port`; each request is answered by `_Handler` in its own thread."""
        self.search = search
        self.page = _page()
        self.info_json = json.dumps(asdict(info)).encode("utf-8")
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    server_version = "langchain-hybrid-demo"

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path in {"/", "/index.html"}:
            self._send(HTTPStatus.OK, self.server.page, "text/html; charset=utf-8")
        elif url.path == "/api/info":
            self._send(HTTPStatus.OK, self.server.info_json, "application/json")
        elif url.path == "/api/search":
            self._search(url.query)
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {url.path}"})

    def _search(self, query_string: str) -> None:
        try:
            query, alpha, k = _parse(query_string)
        except BadRequestError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        try:
            payload = self.server.search(query, alpha=alpha, k=k)
        except HybridSearchError as exc:  # e.g. the Weaviate server went away
            self._json(HTTPStatus.BAD_GATEWAY, {"error": str(exc)})
            return
        self._json(HTTPStatus.OK, payload)

    def _json(self, status: HTTPStatus, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: Any) -> None:
        # One line per slider move would bury the URL the user needs.
        return


def make_server(retriever: HybridRetriever, info: DemoInfo, *, port: int = 8765) -> DemoServer:
    """An HTTP server on 127.0.0.1:`port` (0: any free port) for the page and its API.

    Call `serve_forever()` on it, and `server_close()` when done.

    Raises:
        ConfigError: the port cannot be bound (in use, or privileged).

    Example:
        ```python
        server = make_server(retriever, info, port=0)
        print(server.server_address)  # ('127.0.0.1', 41234)
        server.serve_forever()
        ```
    """
    try:
        return DemoServer(port, _Search(retriever), info)
    except OSError as exc:  # most often: the port is taken (another demo still running)
        msg = (
            f"cannot serve on {HOST}:{port} ({exc.strerror or exc}); pick another port with "
            "--port N, or --port 0 for any free one"
        )
        raise ConfigError(msg) from exc
