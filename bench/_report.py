"""Targets, the markdown section and the plot of the speed benchmark, from its JSON alone.

Everything here reads the report written by `bench/speed.py` (`bench/results/speed.json`),
so the docs can be re-rendered from a saved run (`speed.py --report-only`).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any, Final

START: Final = "<!-- speed:start -->"
END: Final = "<!-- speed:end -->"

Row = dict[str, Any]
Report = dict[str, Any]


# ----------------------------------------------------------------------------- cells


def latency(row: Row | None) -> dict[str, Any] | None:
    """The latency summary of a row, if it was measured."""
    return None if row is None else row.get("latency")


def ms(value: float) -> str:
    """Milliseconds with about three significant digits."""
    if value >= 100:  # noqa: PLR2004
        return f"{value:,.0f}"
    if value >= 10:  # noqa: PLR2004
        return f"{value:.1f}"
    return f"{value:.2f}"


def cell(row: Row | None) -> str:
    """`p50 / p95` of a row, or why there is none."""
    if row is None:
        return "-"
    if "skipped" in row:
        return "skipped"
    if "error" in row:
        return "error"
    lat = row["latency"]
    capped = f" (n={lat['n']})" if row.get("capped") else ""
    return f"{ms(lat['p50_ms'])} / {ms(lat['p95_ms'])}{capped}"


def find(report: Report, system: str, size: int) -> Row | None:
    """The result of one system at one size."""
    return next((r for r in report["results"] if r["system"] == system and r["size"] == size), None)


def threads_label(pool: int) -> str:
    """How the BLAS / OpenMP pools were sized."""
    return "library default threads" if pool == 0 else f"{pool} BLAS/OpenMP thread"


def _verdict(target: dict[str, Any]) -> str:
    return {True: "holds", False: "**fails**", None: "n/a"}[target["holds"]]


# ----------------------------------------------------------------------------- targets


def _ratio_target(
    name: str, ours: Row | None, theirs: Row | None, limit: float, *, faster: bool = False
) -> dict[str, Any] | None:
    """`ours` p50 over `theirs` p50 (or the inverse, `faster`) against `limit`."""
    a, b = latency(ours), latency(theirs)
    if a is None or b is None:
        return None
    if faster:
        ratio = b["p50_ms"] / a["p50_ms"]
        return {
            "target": name,
            "measured": f"{ratio:.0f}x ({ms(a['p50_ms'])} ms vs {ms(b['p50_ms'])} ms)",
            "holds": ratio >= limit,
        }
    ratio = a["p50_ms"] / b["p50_ms"]
    return {
        "target": name,
        "measured": f"{ratio:.2f}x ({ms(a['p50_ms'])} ms vs {ms(b['p50_ms'])} ms)",
        "holds": ratio <= limit,
    }


def targets(report: Report) -> list[dict[str, Any]]:
    """Issue 6's targets still in force (at the reference size; the largest for memory).

    Retired or replaced by issue 17: the keyword leg within 1.5x of bm25s (retired), and
    the hybrid 50x faster than EnsembleRetriever (now 100x, in `issue17_targets`).
    """
    settings = report["settings"]
    ref = settings["reference_size"]
    out: list[dict[str, Any] | None] = []
    hybrid = find(report, "hybrid", ref)
    if hybrid and "writes" in hybrid:
        add_s = hybrid["writes"]["add_median_s"]
        out.append(
            {
                "target": f"add_documents of 1,000 to {ref:,} (hybrid default) under 1 s",
                "measured": f"{add_s:.3f} s (median of {settings['write_rounds']})",
                "holds": add_s < 1.0,
            }
        )
    largest = max(settings["sizes"])
    big = find(report, "tantivy", largest)
    if big and "peak_rss_mb" in big:
        out.append(
            {
                "target": f"keyword index (tantivy) peak memory at {largest:,} under 2 GB",
                "measured": f"{big['peak_rss_mb'] / 1024:.2f} GB peak RSS "
                f"({big['peak_anon_mb'] / 1024:.2f} GB of it anonymous memory)",
                "holds": big["peak_rss_mb"] < 2048 if largest >= 1_000_000 else None,  # noqa: PLR2004
            }
        )
    for pool in dict.fromkeys([settings["threads"], 0]):
        for dim in settings["vector_dims"]:
            rows = {
                r["store"]: r
                for r in report["vector_stores"]
                if r["dim"] == dim and r["threads"] == pool
            }
            out.append(
                _ratio_target(
                    f"default vector store within 2x of FAISS flat at {ref:,}, {dim} dims, "
                    f"{threads_label(pool)}",
                    rows.get("numpy"),
                    rows.get("faiss"),
                    2.0,
                )
            )
    return [t for t in out if t is not None]


LEGS: Final = {"hybrid": "vector_numpy", "hybrid_faiss": "vector_faiss"}  # hybrid -> its vector leg


def _overhead_target(report: Report, hybrid: str, size: int) -> dict[str, Any] | None:
    """Hybrid p50 over (keyword leg p50 + vector leg p50), at most 1.3x."""
    both = latency(find(report, hybrid, size))
    keyword, vector = (
        latency(find(report, "tantivy", size)),
        latency(find(report, LEGS[hybrid], size)),
    )
    if both is None or keyword is None or vector is None:
        return None
    legs = keyword["p50_ms"] + vector["p50_ms"]
    ratio = both["p50_ms"] / legs
    return {
        "target": (
            f"{report['systems'][hybrid]['label']}: p50 at most 1.3x (keyword leg + vector leg) "
            f"at {size:,}"
        ),
        "measured": (
            f"{ratio:.2f}x ({ms(both['p50_ms'])} ms vs {ms(keyword['p50_ms'])} + "
            f"{ms(vector['p50_ms'])} = {ms(legs)} ms)"
        ),
        "holds": ratio <= 1.3,  # noqa: PLR2004 - the issue's limit
    }


def issue17_targets(report: Report) -> list[dict[str, Any]]:
    """Issue 17's speed targets, at the reference size (100k) and the largest (1M)."""
    settings = report["settings"]
    sizes = list(dict.fromkeys([settings["reference_size"], max(settings["sizes"])]))
    hybrids = [name for name in LEGS if name in report["systems"]]
    out: list[dict[str, Any] | None] = [
        _overhead_target(report, hybrid, size) for size in sizes for hybrid in hybrids
    ]
    out += [
        _ratio_target(
            f"{report['systems'][hybrid]['label']}: p50 at most 1.5x the do-it-yourself "
            f"hybrid's at {size:,}",
            find(report, hybrid, size),
            find(report, "diy", size),
            1.5,
        )
        for size in sizes
        for hybrid in hybrids
    ]
    for size in sizes:
        ensemble = find(report, "ensemble", size)
        if "skipped" in (ensemble or {}):
            out.append(
                {
                    "target": f"hybrid (default) at least 100x faster than EnsembleRetriever at "
                    f"{size:,}",
                    "measured": f"EnsembleRetriever skipped: {ensemble['skipped']}",  # type: ignore[index]
                    "holds": None,
                }
            )
            continue
        out.append(
            _ratio_target(
                f"hybrid (default) at least 100x faster than EnsembleRetriever at {size:,}",
                find(report, "hybrid", size),
                ensemble,
                100,
                faster=True,
            )
        )
    return [t for t in out if t is not None]


# ----------------------------------------------------------------------------- markdown


def _table(report: Report, title: str, render: Any) -> list[str]:
    sizes = report["settings"]["sizes"]
    lines = [
        "",
        title,
        "",
        "| system | " + " | ".join(f"{s:,}" for s in sizes) + " |",
        "|---|" + "---:|" * len(sizes),
    ]
    for name, system in report["systems"].items():
        cells = [render(find(report, name, s)) for s in sizes]
        lines.append(f"| {system['label']} | " + " | ".join(cells) + " |")
    return lines


def _index_cell(row: Row | None) -> str:
    if row is None:
        return "-"
    if "index_s" not in row:
        return "skipped" if "skipped" in row else "error"
    return f"{row['index_s']:,.1f} s / {row['peak_rss_mb']:,.0f} MB"


def _qps_cell(row: Row | None) -> str:
    qps = (row or {}).get("qps")
    if not qps:
        return "-"
    async_cell = f"{qps['async64']:,.0f}" if "async64" in qps else "n/a"
    return f"{qps['threads8']:,.0f} / {async_cell}"


def _header(report: Report) -> list[str]:
    m, s = report["machine"], report["settings"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    lines = [
        START,
        "## Speed and scale",
        "",
        "Reproduce from the repository root (nothing is downloaded; corpora are generated",
        "deterministically and cached in the temp directory):",
        "",
        "```bash",
        report["command"],
        "```",
        "",
        (
            f"Run {report['started']} on {m['cpu']}, {m['cores']} cores, "
            f"{m['memory_mb'] / 1024:.0f} GB RAM, Python {m['python']}, commit `{m['commit']}`"
            f"{' plus uncommitted changes' if m.get('dirty') else ''}{_package_note(m)}. The "
            "machine is shared with"
        ),
        "other jobs and was not idle, so treat differences under about 1.5x with care. Load",
        "average (1, 5, 15 minutes) before and after the run:",
        "",
        f"- before: `{report['load_before']}`",
        f"- after: `{report['load_after']}`",
        *(
            []
            if report.get("complete", True)
            else [
                "",
                (
                    f"**This run was stopped before it finished** (last row at "
                    f"{report['finished']}): what it did not reach shows `-`."
                ),
            ]
        ),
        "",
        f"Versions: {versions}.",
        *_commits_note(report),
        "",
        "### Setup",
        "",
        "| documents | text |",
        "|---:|---|",
    ]
    lines += [f"| {c['size']:,} | {c['label']} |" for c in report["corpora"]]
    pinned = (
        f"Each system runs in a fresh process with BLAS / OpenMP / numba thread pools of "
        f"{s['threads']} thread (`--threads`; see the vector store section for why)."
        if s["threads"]
        else "Each system runs in a fresh process with its libraries' default thread pools."
    )
    lines += [
        "",
        "Real text is BEIR SciFact + NFCorpus (`title + text`, 8,816 documents, 234 tokens on",
        "average). Beyond that, documents are synthetic (`bench/_corpus.py`): each takes a real",
        "document as its topic and its length, draws 90% of its tokens from that document and",
        "10% from the whole corpus's (Zipfian) word frequencies, plus a Zipf(1.1) tail of",
        "made-up words at the Good-Turing unseen-word rate, so that word frequencies, document",
        "frequencies (burstiness) and vocabulary growth stay close to real text. Queries are the",
        f"real SciFact + NFCorpus test queries ({s['queries']} per system, the same for every",
        f"system, after {s['warmup']} warm-up queries). The vector leg of every hybrid system",
        f"holds {s['dim']}-dimensional random unit vectors, embedded by a table lookup (cost",
        "about 0, identical for every system).",
        "",
        (
            f"Every leg searches {s['depth']} deep (our `fetch_k`, bm25s / BM25Retriever / "
            f"FAISS `k`); our hybrid returns k={s['hybrid_k']} (alpha 0.5, relative-score fusion);"
        ),
        "`EnsembleRetriever` has no k and returns its whole fused list. Every BM25 leg that",
        "can be handed tokens sees the same ones, our default analysis",
        "(`default_local_analyzer()`: word tokens, English Snowball stemming, stopwords",
        "removed from queries): our keyword legs, bm25s, the do-it-yourself hybrid, and",
        "BM25Retriever (documents through `document_tokens`, queries through",
        "`query_tokens`; `preprocess_func` alone would give queries their stopwords, 1.29x",
        "the tokens). LlamaIndex (bm25s with its own tokenizer and PyStemmer) and Haystack",
        "(BM25L, its own tokenizer) tokenize inside their retrievers, at their defaults; they",
        "and the do-it-yourself hybrid get the same lookup vectors. The do-it-yourself hybrid",
        "is what a search engineer writes without a framework: bm25s (numba backend) and a",
        "raw `faiss.IndexFlatIP`, each leg min-max normalised and summed with weights 0.5 in",
        "numpy, top 10 from 100 per leg. " + pinned,
    ]
    return lines


def _commits_note(report: Report) -> list[str]:
    rows = report["results"] + report["vector_stores"]
    commits = list(dict.fromkeys(r["commit"] for r in rows if r.get("commit")))
    if len(commits) < 2:  # noqa: PLR2004
        return []
    return [
        "",
        (
            "The repository moved on during the run: the workers imported commits "
            f"{', '.join(f'`{c}`' for c in commits)} (`commit` of each row in the JSON)."
        ),
    ]


def _package_note(machine: dict[str, Any]) -> str:
    if machine.get("package_in_repo", True):
        return ""
    return f" (package imported from `{machine['package']}`, not from the repository)"


def markdown(report: Report) -> str:
    """The section of `docs/benchmarks.md` between the speed markers."""
    s = report["settings"]
    ref = s["reference_size"]
    lines = _header(report)
    lines += _table(report, "### Query latency, p50 / p95 (ms)", cell)
    lines += [
        "",
        "![p50 query latency against corpus size, log-log](img/latency_vs_size.png)",
    ]
    lines += _table(report, "### Indexing time and peak memory (RSS increase)", _index_cell)
    lines += [
        "",
        "Peak memory is the RSS high-water mark of the system's own process, reset",
        "(`/proc/self/clear_refs`) once the corpus and the fake embeddings are loaded, minus",
        "the RSS at that point: it counts tantivy's allocations outside Python and the pages",
        "of its memory-mapped index files that were touched.",
    ]
    skipped = [r for r in report["results"] if "skipped" in r or "error" in r]
    if skipped:
        lines += ["", "Skipped or failed:", ""]
        lines += [
            f"- {report['systems'][r['system']]['label']} at {r['size']:,}: "
            f"{r.get('skipped') or r.get('error')}"
            for r in skipped
        ]
    if any(r.get("capped") for r in report["results"]):
        lines += [
            "",
            (
                "(n=...): latency measured on fewer queries, to keep each system under "
                f"{s['max_query_seconds']:.0f} s of querying" + _scan_note(report) + "."
            ),
        ]
    lines += _table(
        report,
        "### Throughput (queries per second): 8 threads / 64 concurrent `ainvoke`",
        _qps_cell,
    )
    lines += [
        "",
        "The keyword legs and bm25s have no async API (n/a).",
        "",
        f"### Incremental writes at {ref:,} documents (median of {s['write_rounds']} rounds)",
        "",
        (
            f"| system | add_documents of {s['write_batch']:,} | next query | "
            f"delete of {s['write_batch']:,} ids |"
        ),
        "|---|---:|---:|---:|",
    ]
    for name, system in report["systems"].items():
        if system["group"] in {"vector", "peer"}:  # not about them: they can add documents
            continue
        row = find(report, name, ref) or {}
        writes = row.get("writes")
        if writes:
            lines.append(
                f"| {system['label']} | {writes['add_median_s'] * 1000:,.0f} ms | "
                f"{ms(writes['query_after_add_median_ms'])} ms | "
                f"{writes['delete_median_s'] * 1000:,.0f} ms |"
            )
        elif "index_s" in row:
            lines.append(
                f"| {system['label']} | none: rebuild ({row['index_s']:,.1f} s) | - | "
                "none: rebuild |"
            )
    lines += _vector_section(report)
    lines += [
        "",
        "### Targets (issue 17)",
        "",
        (
            "Ratios of p50 latencies measured in this one run. The legs alone are the rows "
            "`ours: keyword leg, tantivy (default)` (`search(query, 100)`, our default "
            "analysis) and `vector leg alone` (`similarity_search_with_score(query, 100)`, "
            "what the hybrid calls on its store)."
        ),
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    lines += [
        f"| {t['target']} | {t['measured']} | {_verdict(t)} |" for t in issue17_targets(report)
    ]
    lines += [
        "",
        "### Targets (issue 6)",
        "",
        (
            "Still in force (issue 17 retired the keyword leg within 1.5x of bm25s, and "
            "raised the EnsembleRetriever factor from 50x to 100x, above)."
        ),
        "",
        "| target | measured | |",
        "|---|---|---|",
    ]
    lines += [f"| {t['target']} | {t['measured']} | {_verdict(t)} |" for t in targets(report)]
    lines += ["", "Raw numbers: `bench/results/speed.json`.", END]
    return "\n".join(_reflow(lines)) + "\n"


def _scan_note(report: Report) -> str:
    """Which systems had the shorter query budget of those that scan every document."""
    scanning = [system["label"] for system in report["systems"].values() if system.get("scans")]
    settings = report["settings"]
    budget = min(settings.get("scan_query_seconds", 1e9), settings["max_query_seconds"])
    if not scanning or budget == settings["max_query_seconds"]:
        return ""
    return f" ({budget:.0f} s for those that score every document in Python: {', '.join(scanning)})"


def _reflow(lines: list[str]) -> list[str]:
    """Re-wrap prose paragraphs to 92 columns; tables, lists, headings and code stay."""
    out: list[str] = []
    paragraph: list[str] = []
    fenced = False
    for line in [*lines, ""]:
        if line.startswith("```"):
            fenced = not fenced
        prose = not fenced and line and not line.startswith(("|", "#", "- ", "!", "<!--", "```"))
        if prose:
            paragraph.append(line)
            continue
        if paragraph:
            out += textwrap.wrap(" ".join(paragraph), width=92, break_on_hyphens=False)
            paragraph = []
        out.append(line)
    return out[:-1]


def _vector_section(report: Report) -> list[str]:
    if not report["vector_stores"]:
        return []
    s = report["settings"]
    dims = s["vector_dims"]
    lines = [
        "",
        (
            f"### Vector stores alone at {s['reference_size']:,} documents "
            f"(`similarity_search_with_score`, k={s['depth']})"
        ),
        "",
        "| store | threads | "
        + " | ".join(f"{d} dims p50 / p95 (ms)" for d in dims)
        + " | "
        + " | ".join(f"{d} dims index / peak" for d in dims)
        + " |",
        "|---|---|" + "---:|" * (2 * len(dims)),
    ]
    for pool in dict.fromkeys(r["threads"] for r in report["vector_stores"]):
        for store, label in s["vector_stores"].items():
            rows = {
                r["dim"]: r
                for r in report["vector_stores"]
                if r["store"] == store and r["threads"] == pool
            }
            if rows:
                lat = [cell(rows.get(d)) for d in dims]
                mem = [_index_cell(rows.get(d)) for d in dims]
                lines.append(f"| {label} | {pool or 'default'} | " + " | ".join(lat + mem) + " |")
    lines += _thread_note(report)
    return lines


def _thread_note(report: Report) -> list[str]:
    """How the libraries' own thread pools compare with one thread, from the rows."""
    pinned = report["settings"]["threads"]
    rows = {(r["store"], r["dim"], r["threads"]): latency(r) for r in report["vector_stores"]}
    ratios = []
    for store, name in (("numpy", "NumpyVectorStore"), ("faiss", "FAISS")):
        for dim in report["settings"]["vector_dims"]:
            own, one = rows.get((store, dim, 0)), rows.get((store, dim, pinned))
            if own and one:
                ratios.append(f"{name} {dim} dims {own['p50_ms'] / one['p50_ms']:.1f}x")
    if not pinned or not ratios:
        return []
    return [
        "",
        "With their libraries' default thread pools (one thread per core) instead of one "
        "thread, p50 latency changed by: " + ", ".join(ratios) + " (above 1x: slower). On this "
        "2-core machine shared with other jobs, a multi-threaded BLAS or OpenMP call waits for "
        "a second core that is often busy, so the effect depends on the load at the time; "
        "every other number on this page uses one BLAS / OpenMP thread per process.",
    ]


def write_section(path: Path, section: str) -> None:
    """Replace only the text between our markers (re-read just before writing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if START in current and END in current:
        head, rest = current.split(START, 1)
        _, tail = rest.split(END, 1)
        updated = head + section.rstrip("\n") + tail
    elif current:
        updated = current.rstrip("\n") + "\n\n" + section
    else:
        updated = section
    path.write_text(updated, encoding="utf-8")


def plot(report: Report, path: Path) -> None:
    """Log-log p50 latency against corpus size, one line per system."""
    import matplotlib as mpl  # noqa: PLC0415 - only needed to draw

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    s = report["settings"]
    fig, ax = plt.subplots(figsize=(10, 8.5))
    styles = {"keyword": "--", "vector": "-.", "hybrid": "-", "diy": "-", "peer": ":"}
    styles["langchain"] = ":"
    # More systems than the default 10 colours: each its own colour from a 20-colour map.
    colours = plt.get_cmap("tab20").colors
    for i, (name, system) in enumerate(report["systems"].items()):
        points = [
            (r["size"], r["latency"]["p50_ms"])
            for r in report["results"]
            if r["system"] == name and "latency" in r
        ]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(
                xs,
                ys,
                styles[system["group"]],
                marker="o",
                color=colours[(2 * i) % 20 + (2 * i) // 20 % 2],
                label=system["label"],
            )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("corpus size (documents)")
    ax.set_ylabel("p50 query latency (ms)")
    ax.set_title(
        f"Query latency vs corpus size (legs {s['depth']} deep, {s['dim']}-d vectors; "
        "missing points: skipped)",
        fontsize=10,
    )
    ax.grid(visible=True, which="both", alpha=0.3)
    # Below the axes: the labels are long, and beside them they squeezed the plot.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
