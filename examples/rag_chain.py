"""A RAG chain (LCEL) around `HybridRetriever`, fully offline.

The retriever searches the 1,500 SciFact abstracts shipped in `tests/data/scifact_slice`
(precomputed all-MiniLM-L6-v2 vectors, so no model is downloaded). The context handed to
the model lists each document with its hybrid score and its rank in each leg, so the
answer can be traced back to why each passage was retrieved. The chat model is
LangChain's `FakeListChatModel`, which answers with a canned reply: swap in a real one
(`ChatOpenAI`, `ChatOllama`, ...) and nothing else changes.

Run it from the repository root:

    python examples/rag_chain.py
"""

from __future__ import annotations

# --8<-- [start:imports]
import textwrap
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.language_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableParallel, RunnablePassthrough

# --8<-- [end:imports]
from langchain_hybrid import HybridRetriever
from langchain_hybrid.evaluation import PrecomputedEmbeddings, load_beir, to_documents

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "scifact_slice"
QUESTION_ID = "36"  # "A deficiency of vitamin B12 increases blood levels of homocysteine."


def load_retriever(data: Path = DATA) -> tuple[HybridRetriever, dict[str, str]]:
    """A hybrid retriever over the SciFact slice, and the slice's test claims by id."""
    corpus, queries, _ = load_beir(data, "test")
    embeddings = PrecomputedEmbeddings.from_beir(data, corpus=corpus, queries=queries)
    retriever = HybridRetriever.from_documents(to_documents(corpus), embeddings, k=4)
    return retriever, queries


# --8<-- [start:chain]
def format_docs(docs: list[Document]) -> str:
    """The context: each passage with its id and the evidence of why it was retrieved."""
    blocks = []
    for doc in docs:
        meta = doc.metadata
        evidence = (
            f"hybrid score {meta['hybrid_score']:.2f}; "
            f"keyword rank {meta['keyword_rank'] or '-'}, vector rank {meta['vector_rank'] or '-'}"
        )
        passage = textwrap.shorten(doc.page_content, 300, placeholder=" ...")
        blocks.append(f"[{doc.id}] ({evidence})\n{passage}")
    return "\n\n".join(blocks)


prompt = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            (
                "Answer the question from the context only, and cite the ids of the "
                "passages you used in brackets.\n\nContext:\n{context}"
            ),
        ),
        ("human", "{question}"),
    ]
)
model = FakeListChatModel(
    responses=[
        (
            "Yes: low vitamin B12 goes with raised homocysteine, and lowering homocysteine "
            "with B vitamins is studied in [11705328] and [5152028]."
        )
    ]
)


def build_chain(retriever: HybridRetriever) -> RunnableParallel[str]:
    """The chain: a question in, `{"docs", "question", "answer"}` out."""
    answer = (
        {"context": lambda x: format_docs(x["docs"]), "question": lambda x: x["question"]}
        | prompt
        | model
        | StrOutputParser()
    )
    return RunnableParallel(docs=retriever, question=RunnablePassthrough()).assign(answer=answer)


# --8<-- [end:chain]


def main() -> None:
    """Run the chain on one SciFact claim and print the prompt's context and the answer."""
    retriever, queries = load_retriever()
    question = queries[QUESTION_ID]
    result = build_chain(retriever).invoke(question)
    print(f"question: {question}\n")
    print("context given to the model:\n")
    print(textwrap.indent(format_docs(result["docs"]), "  "))
    print(f"\nanswer: {result['answer']}")
    print(f"sources: {[doc.id for doc in result['docs']]}")


if __name__ == "__main__":
    main()
