"""The annotkit record (docs/record.md, ``annotkit.record.v1``): Document <-> JSON object.

One record is one document with every stage's output: ``label`` (the one truth for spans),
``spans`` (per-span details keyed to ``label``), ``lang``/``langs``/``zh_script``/
``segments``/``sentences`` (detect), ``pairs`` (align), ``review`` (doccano pull), ``meta``
and any other field, passed through untouched. Readers accept doccano JSONL, Prodigy-style
``spans`` and plain ``{"id", "text"}`` too.

EXAMPLE:
    >>> from annotkit.doc import Document, Span
    >>> doc = Document("d1", "5 mL MSCs", spans=(Span(0, 4, "DOSE", source="rule:dose.v1"),))
    >>> rec = document_to_record(doc)
    >>> rec["label"], rec["spans"][0]["source"]
    ([[0, 4, 'DOSE']], 'rule:dose.v1')
    >>> document_from_record(rec, where="x:1") == doc
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from annotkit.doc import (
    REVIEW_STATES,
    Document,
    PassagePair,
    Review,
    Segment,
    SentencePair,
    Span,
    content_id,
)
from annotkit.errors import InputError, OffsetError

__all__ = [
    "OWNED_FIELDS",
    "SCHEMA",
    "document_from_record",
    "document_to_record",
    "pairs_from_json",
    "pairs_to_json",
    "segments_to_json",
]

#: The versioned name of the record format.
SCHEMA = "annotkit.record.v1"

#: Record fields annotkit reads and writes itself, in output order.
OWNED_FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "label",
    "spans",
    "lang",
    "langs",
    "zh_script",
    "segments",
    "sentences",
    "pairs",
    "review",
    "meta",
)
# Input aliases consumed when present (doccano variants); never written.
_ALIASES = ("labels", "entities", "data")
_DETAIL_KEYS = ("source", "score", "norm", "status", "by")
_ID_KEY = "annotkit_id"  # the id annotkit gives a document in doccano


# --------------------------------------------------------------------------- helpers
def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _offset(value: Any, what: str, where: str) -> int:
    if not _is_int(value):
        raise InputError(
            f"{what} {value!r} is not an integer; offsets are integer code points into 'text'",
            source=where,
        )
    return int(value)


def _label(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"span label {value!r} is not a non-empty string; write labels such as CELL_TYPE",
            source=where,
        )
    return value


def _triple(item: Any, where: str) -> tuple[int, int, str]:
    """``[start, end, LABEL]`` or a doccano/Prodigy object -> a checked triple."""
    if isinstance(item, Mapping):
        start = item.get("start_offset", item.get("start"))
        end = item.get("end_offset", item.get("end"))
        label = item.get("label")
    elif isinstance(item, (list, tuple)) and len(item) == 3:
        start, end, label = item
    else:
        raise InputError(
            f"span {item!r} is not [start, end, LABEL]; write each span as [start, end, LABEL] "
            "(or an object with start, end and label)",
            source=where,
        )
    s = _offset(start, "span start", where)
    e = _offset(end, "span end", where)
    if s < 0 or e <= s:
        raise InputError(
            f"span [{s}, {e}) {label!r} is empty, inverted or negative; spans need "
            "0 <= start < end",
            source=where,
        )
    return s, e, _label(label, where)


def _span_list(rec: Mapping[str, Any], where: str) -> tuple[list[Any] | None, str]:
    """The raw span list that is the truth, and the field it came from."""
    for key in ("label", "labels", "entities"):
        if key in rec and rec[key] is not None:
            raw = rec[key]
            if not isinstance(raw, list):
                raise InputError(
                    f"{key!r} must be a list of [start, end, LABEL]; text classification "
                    "labels are not supported; write spans as [[start, end, LABEL], ...]",
                    source=where,
                )
            return raw, key
        if key in rec and rec[key] is None:
            raise InputError(
                f"{key!r} is null; write [] for a document without spans", source=where
            )
    if isinstance(rec.get("spans"), list):
        return rec["spans"], "spans"  # Prodigy: spans are the truth
    return None, ""


def _details(raw: Any, where: str) -> list[Mapping[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(d, Mapping) for d in raw):
        raise InputError(
            "'spans' must be a list of objects with start, end and label; fix it or delete "
            "'spans' to keep only 'label'",
            source=where,
        )
    return list(raw)


def _build_spans(
    rec: Mapping[str, Any], meta: dict[str, Any], text: str, where: str
) -> tuple[Span, ...]:
    raw, field = _span_list(rec, where)
    details = _details(rec.get("spans"), where) if field != "spans" else None
    if details is None and field != "spans":
        details = _details(meta.pop("entities", None), where)  # annotkit 0.1 records
    else:
        meta.pop("entities", None)
    if raw is None:
        if details:
            raise InputError(
                "has span details ('spans') but no 'label'; 'label' is the truth for "
                "spans: add it, or drop 'spans'",
                source=where,
            )
        return ()
    triples = sorted(_triple(item, where) for item in raw)
    if field == "spans":
        details = list(raw)
    by_key: dict[tuple[int, int, str], Mapping[str, Any]] = {}
    if details is not None:
        for d in details:
            key = _triple(d, where)
            if key in by_key:
                raise InputError(
                    f"'spans' lists [{key[0]}, {key[1]}) {key[2]} twice; keep one of them",
                    source=where,
                )
            by_key[key] = d
        missing = [t for t in triples if t not in by_key]
        extra = sorted(set(by_key) - set(triples))
        if missing or extra:
            first = (missing or extra)[0]
            which = "has no entry in 'spans'" if missing else "is in 'spans' but not in 'label'"
            raise InputError(
                f"span details disagree with 'label': [{first[0]}, {first[1]}) {first[2]} "
                f"{which}; 'label' is the truth for spans: fix the record, or delete its "
                "'spans' field to keep only 'label'",
                source=where,
            )
    spans: list[Span] = []
    for s, e, label in triples:
        if e > len(text):
            raise InputError(
                f"span [{s}, {e}) {label} is out of range (text length {len(text)}); "
                "offsets must be code points into 'text'",
                source=where,
            )
        d = by_key.get((s, e, label), {})
        spans.append(_span(s, e, label, d, text, where))
    for a, b in zip(spans, spans[1:], strict=False):
        if b.start < a.end:
            raise InputError(
                f"spans [{a.start}, {a.end}) {a.label} and [{b.start}, {b.end}) {b.label} "
                "overlap; annotkit needs non-overlapping spans: remove one",
                source=where,
            )
    return tuple(spans)


def _span(s: int, e: int, label: str, d: Mapping[str, Any], text: str, where: str) -> Span:
    surface = d.get("text")
    if isinstance(surface, str) and surface != text[s:e]:
        raise InputError(
            f"span [{s}, {e}) {label} says its text is {surface!r} but the document has "
            f"{text[s:e]!r} there; fix the offsets or the span's 'text'",
            source=where,
        )
    score = d.get("score")
    if score is not None and (not isinstance(score, (int, float)) or isinstance(score, bool)):
        raise InputError(
            f"span [{s}, {e}) {label}: score {score!r} is not a number; write a number in "
            "(0, 1] or null",
            source=where,
        )
    norm = d.get("norm")
    try:
        return Span(
            s,
            e,
            label,
            source=str(d["source"]) if d.get("source") is not None else None,
            score=float(score) if score is not None else None,
            norm=dict(norm) if isinstance(norm, Mapping) else None,
            status=str(d["status"]) if d.get("status") is not None else None,
            by=str(d["by"]) if d.get("by") is not None else None,
        )
    except OffsetError as err:
        raise InputError(str(err), source=where) from None


def _segments(raw: Any, field: str, text: str, where: str) -> tuple[Segment, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InputError(
            f"{field!r} must be a list of [start, end, lang, score]; write it with "
            f"`annotkit detect` (or delete {field!r})",
            source=where,
        )
    out = []
    for item in raw:
        if not isinstance(item, (list, tuple)) or len(item) < 2:
            raise InputError(
                f"{field!r} entry {item!r} is not [start, end, lang, score]; write it with "
                "`annotkit detect`",
                source=where,
            )
        s = _offset(item[0], f"{field} start", where)
        e = _offset(item[1], f"{field} end", where)
        if not 0 <= s <= e <= len(text):
            raise InputError(
                f"{field!r} entry [{s}, {e}) lies outside the text (length {len(text)}); the "
                "detection does not belong to this text: run `annotkit detect` on it again",
                source=where,
            )
        lang = item[2] if len(item) > 2 else None
        score = item[3] if len(item) > 3 else None
        if not (lang is None or isinstance(lang, str)) or not (
            score is None or (isinstance(score, (int, float)) and not isinstance(score, bool))
        ):
            raise InputError(
                f"{field!r} entry {item!r} needs a language code (string) and a score (number); "
                "write it with `annotkit detect`",
                source=where,
            )
        out.append(Segment(s, e, lang, score))
    return tuple(out)


def _range(value: Any, size: int, where: str) -> tuple[int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise InputError(
            f"'pairs' range {value!r} is not [start, end]; write pairs with `annotkit align`",
            source=where,
        )
    s, e = _offset(value[0], "pair start", where), _offset(value[1], "pair end", where)
    if not 0 <= s <= e <= size:
        raise InputError(
            f"'pairs' range [{s}, {e}) lies outside the text (length {size}); the alignment "
            "does not belong to this text: run `annotkit align` on it again",
            source=where,
        )
    return s, e


def pairs_from_json(raw: Any, *, text: str, where: str) -> tuple[PassagePair, ...]:
    """The record's ``pairs`` list -> PassagePairs (ranges checked against ``text``)."""
    n = len(text)
    if not isinstance(raw, list):
        raise InputError(
            "'pairs' must be a list of passage pairs; write it with `annotkit align`", source=where
        )
    pairs = []
    for p in raw:
        if not isinstance(p, Mapping):
            raise InputError(
                f"'pairs' entry {p!r} is not an object; write pairs with `annotkit align`",
                source=where,
            )
        try:
            sentences = tuple(
                SentencePair(
                    tuple(_range(x, n, where) for x in s["src"]),
                    tuple(_range(x, n, where) for x in s["tgt"]),
                    s.get("score"),
                )
                for s in p.get("sentences", [])
            )
            pairs.append(
                PassagePair(
                    _range(p["src"], n, where),
                    _range(p["tgt"], n, where),
                    str(p["src_lang"]),
                    str(p["tgt_lang"]),
                    p.get("score"),
                    sentences,
                )
            )
        except (KeyError, TypeError) as err:
            raise InputError(
                f"'pairs' entry is missing {err}; pairs need src, tgt, src_lang, tgt_lang "
                "(write them with `annotkit align`)",
                source=where,
            ) from None
    return tuple(pairs)


def pairs_to_json(pairs: Sequence[PassagePair]) -> list[dict[str, Any]]:
    """PassagePairs -> the record's ``pairs`` list."""
    return [
        {
            "src": list(p.src),
            "tgt": list(p.tgt),
            "src_lang": p.src_lang,
            "tgt_lang": p.tgt_lang,
            "score": p.score,
            "sentences": [
                {"src": [list(x) for x in s.src], "tgt": [list(x) for x in s.tgt], "score": s.score}
                for s in p.sentences
            ],
        }
        for p in pairs
    ]


def segments_to_json(segments: Sequence[Segment]) -> list[list[Any]]:
    """Segments -> ``[[start, end, lang, score], ...]``."""
    return [[s.start, s.end, s.lang, s.score] for s in segments]


def _review(raw: Any, where: str) -> Review | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("state") not in REVIEW_STATES:
        raise InputError(
            f"'review' must be an object whose state is one of {', '.join(REVIEW_STATES)}; "
            "it is written by `annotkit doccano pull` (delete it for hand-made data)",
            source=where,
        )
    example = raw.get("example")
    changes = raw.get("changes")
    return Review(
        state=str(raw["state"]),
        project=str(raw["project"]) if raw.get("project") is not None else None,
        example=example if _is_int(example) else None,
        annotators=tuple(str(a) for a in raw.get("annotators") or ()),
        confirmed_by=tuple(str(a) for a in raw.get("confirmed_by") or ()),
        comments=tuple(dict(c) for c in raw.get("comments") or () if isinstance(c, Mapping)),
        changes=dict(changes) if isinstance(changes, Mapping) else None,
    )


def _review_to_json(review: Review) -> dict[str, Any]:
    out: dict[str, Any] = {"state": review.state}
    if review.project is not None:
        out["project"] = review.project
    if review.example is not None:
        out["example"] = review.example
    out["annotators"] = list(review.annotators)
    out["confirmed_by"] = list(review.confirmed_by)
    out["comments"] = [dict(c) for c in review.comments]
    if review.changes is not None:
        out["changes"] = dict(review.changes)
    return out


def _doc_id(rec: Mapping[str, Any], meta: dict[str, Any], id_field: str, text: str) -> str:
    for value in (rec.get(_ID_KEY), meta.pop(_ID_KEY, None)):
        if isinstance(value, str) and value:
            return value
    raw_id = rec.get(id_field)
    if raw_id is None or raw_id == "" or isinstance(raw_id, (dict, list, bool)):
        return content_id(text)
    return str(raw_id)


# --------------------------------------------------------------------------- public
def document_from_record(
    rec: Any, *, where: str, text_field: str = "text", id_field: str = "id"
) -> Document:
    """Build a Document from one record (this format, doccano, Prodigy or ``{id, text}``).

    ``where`` (``file:line``) prefixes every error, with the document id when it is known.
    Raises :class:`~annotkit.errors.InputError` for anything that cannot be read exactly.
    """
    if not isinstance(rec, Mapping):
        raise InputError(
            'expected a JSON object per line; write records such as {"id": "d1", "text": "..."}',
            source=where,
        )
    text = rec.get(text_field)
    if text is None and text_field == "text":
        text = rec.get("data")  # doccano exports of some versions
    if not isinstance(text, str):
        raise InputError(
            f"missing or non-string {text_field!r} field; each record needs the document text",
            source=where,
        )
    if not text.strip():
        raise InputError(f"{text_field!r} is empty; remove the record or add text", source=where)
    raw_meta = rec.get("meta")
    if raw_meta is not None and not isinstance(raw_meta, Mapping):
        raise InputError("'meta' must be an object; write it as {...} or delete it", source=where)
    meta = dict(raw_meta or {})
    doc_id = _doc_id(rec, meta, id_field, text)
    where = f"{where}: document {doc_id!r}"
    spans = _build_spans(rec, meta, text, where)
    consumed = {text_field, id_field, _ID_KEY, *OWNED_FIELDS, *_ALIASES}
    extra = {k: v for k, v in rec.items() if k not in consumed}
    lang = rec.get("lang")
    langs = rec.get("langs")
    pairs = rec.get("pairs")
    try:
        return Document(
            id=doc_id,
            text=text,
            spans=spans,
            lang=str(lang) if lang is not None else None,
            segments=_segments(rec.get("segments"), "segments", text, where),
            sentences=_segments(rec.get("sentences"), "sentences", text, where),
            meta=meta,
            langs={str(k): float(v) for k, v in langs.items()}
            if isinstance(langs, Mapping)
            else {},
            zh_script=str(rec["zh_script"]) if rec.get("zh_script") else None,
            pairs=pairs_from_json(pairs, text=text, where=where) if pairs is not None else None,
            review=_review(rec.get("review"), where),
            extra=extra,
        )
    except OffsetError as err:
        raise InputError(str(err), source=where) from None
    except (TypeError, ValueError) as err:
        raise InputError(
            f"malformed record ({err}); compare it with the record in docs/record.md",
            source=where,
        ) from None


def document_to_record(doc: Document) -> dict[str, Any]:
    """The record of a Document: only the stages that ran, fields in a fixed order.

    ``spans`` (details) is written when any span has details; ``meta`` always.
    """
    rec: dict[str, Any] = {
        "id": doc.id,
        "text": doc.text,
        "label": [[s.start, s.end, s.label] for s in doc.spans],
    }
    if any(s.has_details for s in doc.spans):
        rec["spans"] = [_detail(doc.text, s) for s in doc.spans]
    if doc.lang is not None:
        rec["lang"] = doc.lang
        rec["langs"] = dict(doc.langs)
        if doc.zh_script is not None:
            rec["zh_script"] = doc.zh_script
        rec["segments"] = segments_to_json(doc.segments)
        rec["sentences"] = segments_to_json(doc.sentences)
    if doc.pairs is not None:
        rec["pairs"] = pairs_to_json(doc.pairs)
    if doc.review is not None:
        rec["review"] = _review_to_json(doc.review)
    rec["meta"] = dict(doc.meta)
    for key, value in doc.extra.items():
        rec.setdefault(key, value)
    return rec


def _detail(text: str, span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {
        "start": span.start,
        "end": span.end,
        "label": span.label,
        "text": text[span.start : span.end],
    }
    for key in _DETAIL_KEYS:
        value = getattr(span, key)
        if value is not None:
            out[key] = dict(value) if key == "norm" else value
    return out
