"""doccano sync benchmark: push 10,000 documents, pull them, push them again.

Runs against a local doccano server started by annotkit's own code in a temporary home
(or the running server named by ``--home`` / the ``ANNOTKIT_DOCCANO_*`` variables)::

    .venv/bin/python bench/doccano.py --docs 10000 --rest-sample 100

Documents are synthetic (about 1.5 kB, 5 spans each, with some CJK and an emoji so offsets
are converted), generated from a fixed seed; no data files are needed. The per-example REST
path (one request per example and per span, as with doccano-client) and listing examples at
the default page size are measured on a small sample and extrapolated.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

from annotkit.doc import Document, Span
from annotkit.sync import connect, pull, push
from annotkit.sync.client import DoccanoSync
from annotkit.sync.ledger import ledger_for
from annotkit.sync.mapping import to_import_record
from annotkit.sync.server import default_home, start_server, stop_server

_WORDS = (
    "patients received autologous infusion after the procedure and were followed for "
    "twelve months with outcome measures recorded at each visit baseline lumbar disc "
    "degeneration injection pain function improvement adverse events were mild"
).split()
_ENTITIES = (
    ("bone marrow mesenchymal stem cells", "CELL_TYPE"),
    ("MSCs", "CELL_TYPE"),
    ("2 x 10^6 cells/kg", "DOSE"),
    ("5 mL", "DOSE"),
    ("Oswestry Disability Index", "SCALE"),
    ("VAS", "SCALE"),
    ("骨髓间充质干细胞", "CELL_TYPE"),
)


def synthetic_docs(n: int, *, size: int = 1500, seed: int = 13) -> list[Document]:
    """``n`` documents of about ``size`` characters, 5 spans each (deterministic)."""
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        entities = [rng.choice(_ENTITIES) for _ in range(5)]
        filler = max(60, (size - sum(len(e[0]) for e in entities)) // 6)
        text = ""
        spans: list[Span] = []
        for k in range(6):
            words: list[str] = []
            while sum(len(w) + 1 for w in words) < filler:
                words.append(rng.choice(_WORDS))
            if k == 1:
                words.append("😀")
            text += " ".join(words) + (". " if k % 2 else " ")
            if k < 5:
                surface, label = entities[k]
                spans.append(Span(len(text), len(text) + len(surface), label, source="bench"))
                text += surface + " "
        docs.append(Document(f"bench-{i:06d}", text.rstrip(), spans=tuple(spans)))
    return docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=10000)
    ap.add_argument("--rest-sample", type=int, default=100)
    ap.add_argument("--chunk-size", type=int, default=2000)
    ap.add_argument("--home", default=None, help="use the server running in this home")
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)

    tmp = None
    if args.home is None:
        tmp = tempfile.mkdtemp(prefix="annotkit-bench-doccano-")
        t0 = time.monotonic()
        start_server(tmp, progress=lambda m: print(m, file=sys.stderr))
        print(f"server start: {time.monotonic() - t0:.1f}s", file=sys.stderr)
    home = args.home or tmp
    try:
        api = connect(home)
        ledger = ledger_for(home or default_home())
        assert isinstance(api, DoccanoSync)
        docs = synthetic_docs(args.docs)
        kb = sum(len(d.text.encode()) for d in docs) / len(docs) / 1024
        name = f"bench-{uuid.uuid4().hex[:8]}"
        res: dict[str, object] = {"docs": len(docs), "avg_kb": round(kb, 2), "spans_per_doc": 5}

        t0 = time.monotonic()
        rep = push(docs, name, client=api, ledger=ledger, create=True, chunk_size=args.chunk_size)
        res["push_s"] = round(time.monotonic() - t0, 2)
        res["push_created"] = rep.created

        t0 = time.monotonic()
        pulled = pull(name, client=api, ledger=ledger)
        res["pull_s"] = round(time.monotonic() - t0, 2)
        res["pull_examples"] = len(pulled.documents)
        exact = all(
            [(s.start, s.end, s.label) for s in p.spans]
            == [(s.start, s.end, s.label) for s in d.spans]
            for p, d in zip(pulled.documents, docs, strict=True)
        )
        res["pull_spans_exact"] = exact
        res["pull_all_suggested_with_source"] = all(
            s.status == "suggested" and s.source == "bench"
            for p in pulled.documents
            for s in p.spans
        )

        t0 = time.monotonic()
        rep2 = push(docs, name, client=api, ledger=ledger, chunk_size=args.chunk_size)
        res["repush_s"] = round(time.monotonic() - t0, 2)
        res["repush_created"] = rep2.created
        res["repush_unchanged"] = rep2.unchanged

        # a re-push with one pre-annotation changed: the full reconciliation (export + diff)
        changed = [*docs[:-1], Document(docs[-1].id, docs[-1].text, spans=docs[-1].spans[:4])]
        t0 = time.monotonic()
        rep3 = push(changed, name, client=api, ledger=ledger, chunk_size=args.chunk_size)
        res["repush_one_changed_s"] = round(time.monotonic() - t0, 2)
        res["repush_one_changed_updated"] = rep3.updated
        res["repush_one_changed_created"] = rep3.created

        # the plain per-example REST path on a sample
        info = api.find_project(name)
        assert info is not None
        rest_name = f"{name}-rest"
        push([], rest_name, client=api, ledger=ledger, create=True)
        rinfo = api.find_project(rest_name)
        assert rinfo is not None
        labels = api.ensure_label_types(rinfo.id, [])
        api.prepare_suggester(rinfo.id)
        sample = docs[: args.rest_sample]
        t0 = time.monotonic()
        for d in sample:
            api.create_example(rinfo.id, to_import_record(d, mode="utf16"), labels)
        rest_s = time.monotonic() - t0
        res["rest_docs_per_s"] = round(len(sample) / rest_s, 1)
        res["rest_10k_estimate_s"] = round(len(docs) / (len(sample) / rest_s), 0)
        n_list = min(1000, len(docs))
        t0 = time.monotonic()
        listed = api.list_examples_paged(info.id, limit=n_list)
        list_s = time.monotonic() - t0
        res["list_page5_examples_per_s"] = round(listed / list_s, 1)
        print(json.dumps(res, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2) + "\n")
    finally:
        if tmp is not None:
            stop_server(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
