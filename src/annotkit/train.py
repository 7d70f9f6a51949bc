"""Train a stanza NER model on corrected annotations: spans -> tokens -> BIOES -> stanza.

The pipeline is:

1. **Sentences** come from ``doc.sentences`` when :mod:`annotkit.langid` filled them, else
   from the project's rule splitter (:func:`annotkit.segment.sentence_bounds`). A sentence
   boundary that falls inside a span is removed (the two sentences are merged), so no
   entity is ever cut in two.
2. **Tokens** come from the project's one tokenizer (:func:`annotkit.segment.tokenize`;
   Chinese per character or per jieba word). *Span-edge policy*: we control tokenisation, so
   a token that a span starts or ends inside is split at the span edge (``"10mg"`` with a
   DOSE on ``"10mg"`` is fine; ``"BM-MSCs"`` with a CELL_TYPE on ``"MSCs"`` becomes
   ``"BM-"`` + ``"MSCs"``). Every span is therefore exactly a run of tokens; the number of
   split tokens is counted in :class:`TagStats` and logged. Spans outside every sentence
   (only possible with hand-made ``doc.sentences``) are dropped and counted.
3. **Tags**: BIOES (stanza's scheme) or BIO, one per token.
4. **Split**: without a dev file, documents are split by a hash of their *group* id: a
   document and its translation (``meta["translation_of"]``, ``meta["group"]``) always land
   in the same split; a mixed-language document is one unit.
5. **Training** runs ``python -m stanza.models.ner_tagger`` in a subprocess with
   ``--no_pretrain`` and no charlm (unless ``pretrain=``/``finetune_from=`` name local files),
   a fixed seed, and writes ``models/NAME/VERSION/`` (see :mod:`annotkit.models`).

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
    >>> sents, stats = tag_documents(docs[:1])
    >>> sents[0].tags[:4]
    ('O', 'O', 'B-DOSE', 'E-DOSE')
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from annotkit.doc import Document, Span
from annotkit.errors import InputError, ModelNotFoundError, TrainingError

if TYPE_CHECKING:
    from annotkit.annotate.ner import NerModel

__all__ = [
    "SCHEMES",
    "ModelCard",
    "TagStats",
    "TaggedSentence",
    "data_fingerprint",
    "decode_tags",
    "document_sentences",
    "evaluate_spans",
    "group_key",
    "iter_sentences_json",
    "sentence_lang",
    "split_documents",
    "tag_document",
    "tag_documents",
    "to_stanza_json",
    "train_model",
    "write_card",
]

logger = logging.getLogger(__name__)

SCHEMES: tuple[str, ...] = ("bioes", "bio")
ZhTokens = Literal["char", "word"]
MODEL_FILE = "ner.pt"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_LATIN = re.compile(r"[A-Za-z]")


# --------------------------------------------------------------------------- types
@dataclass(frozen=True, slots=True)
class TaggedSentence:
    """One sentence of a document as tokens with tags.

    ``tokens`` are code-point ``(start, end)`` offsets into the document text; ``tags`` has
    one tag per token (BIOES or BIO); ``lang`` is ``en``, ``zh`` or ``mixed`` by script.
    """

    doc_id: str
    start: int
    end: int
    lang: str
    tokens: tuple[tuple[int, int], ...]
    tags: tuple[str, ...]

    def words(self, text: str) -> list[str]:
        """The token strings, given the document text."""
        return [text[a:b] for a, b in self.tokens]


@dataclass(frozen=True, slots=True)
class TagStats:
    """What tagging did: sizes, tokens split at span edges, spans dropped."""

    documents: int = 0
    sentences: int = 0
    tokens: int = 0
    spans: int = 0
    split_tokens: int = 0
    dropped_spans: int = 0
    merged_sentences: int = 0

    def __add__(self, other: TagStats) -> TagStats:
        return TagStats(*(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__))

    def to_dict(self) -> dict[str, int]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@dataclass(frozen=True, slots=True)
class ModelCard:
    """Everything recorded about one trained model (``model.json`` in its folder)."""

    name: str
    version: str
    path: str
    labels: tuple[str, ...]
    languages: Mapping[str, int]
    data: Mapping[str, Any]
    args: tuple[str, ...]
    versions: Mapping[str, str]
    created: str
    metrics: Mapping[str, Any] | None = None
    dev_docs: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``NAME/VERSION``."""
        return f"{self.name}/{self.version}"

    @property
    def model_file(self) -> Path:
        return Path(self.path) / MODEL_FILE

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "labels": list(self.labels),
            "languages": dict(self.languages),
            "data": dict(self.data),
            "args": list(self.args),
            "versions": dict(self.versions),
            "created": self.created,
            "metrics": self.metrics,
            "dev_docs": list(self.dev_docs),
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, rec: Mapping[str, Any], *, path: str) -> ModelCard:
        try:
            return cls(
                name=str(rec["name"]),
                version=str(rec["version"]),
                path=path,
                labels=tuple(rec["labels"]),
                languages=dict(rec.get("languages", {})),
                data=dict(rec.get("data", {})),
                args=tuple(rec.get("args", ())),
                versions=dict(rec.get("versions", {})),
                created=str(rec.get("created", "")),
                metrics=rec.get("metrics"),
                dev_docs=tuple(rec.get("dev_docs", ())),
                extra=dict(rec.get("extra", {})),
            )
        except (KeyError, TypeError) as err:
            raise ModelNotFoundError(
                f"model card {path}/model.json is missing field {err}; retrain the model "
                "with `annotkit train`"
            ) from None


# --------------------------------------------------------------------------- tokens & tags
def sentence_lang(text: str) -> str:
    """``"zh"``, ``"en"`` or ``"mixed"`` by script (Han vs Latin letters); ``"und"`` if neither.

    EXAMPLE:
        >>> sentence_lang("5 mL of MSCs"), sentence_lang("间充质干细胞"), sentence_lang("MSCs 细胞")
        ('en', 'zh', 'mixed')
    """
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    if not han and not latin:
        return "und"
    if han and latin and min(han, latin / 4) / max(han, latin / 4) > 0.25:
        return "mixed"
    return "zh" if han >= latin / 4 else "en"


def _sentence_ranges(doc: Document) -> list[tuple[int, int]]:
    if doc.sentences:
        return [(s.start, s.end) for s in doc.sentences if s.end > s.start]
    from annotkit.segment import sentence_bounds

    return sentence_bounds(doc.text)


def document_sentences(doc: Document) -> tuple[list[tuple[int, int]], int]:
    """Sentence ranges of ``doc`` with boundaries inside spans removed.

    RETURNS (ranges, merged): ``merged`` counts the boundaries removed because a span
    crossed them.

    EXAMPLE:
        >>> document_sentences(Document("d", "One. Two."))
        ([(0, 4), (5, 9)], 0)
    """
    ranges = _sentence_ranges(doc)
    merged = 0
    out: list[tuple[int, int]] = []
    for a, b in ranges:
        if out and any(s.start < out[-1][1] and s.end > a for s in doc.spans):
            out[-1] = (out[-1][0], b)
            merged += 1
        else:
            out.append((a, b))
    return out, merged


def _split_at_edges(
    tokens: Sequence[tuple[int, int]], cuts: Sequence[int]
) -> tuple[list[tuple[int, int]], int]:
    out: list[tuple[int, int]] = []
    split = 0
    for a, b in tokens:
        inner = [c for c in cuts if a < c < b]
        if not inner:
            out.append((a, b))
            continue
        split += 1
        edges = [a, *inner, b]
        out.extend(zip(edges, edges[1:], strict=False))
    return out, split


def _tags_for(tokens: Sequence[tuple[int, int]], spans: Sequence[Span], scheme: str) -> list[str]:
    tags = ["O"] * len(tokens)
    i = 0
    for span in spans:
        while i < len(tokens) and tokens[i][1] <= span.start:
            i += 1
        j = i
        while j < len(tokens) and tokens[j][0] < span.end:
            j += 1
        n = j - i
        if n == 0:
            continue
        lab = span.label
        if scheme == "bio":
            tags[i : i + n] = [f"B-{lab}"] + [f"I-{lab}"] * (n - 1)
        elif n == 1:
            tags[i] = f"S-{lab}"
        else:
            tags[i : i + n] = [f"B-{lab}"] + [f"I-{lab}"] * (n - 2) + [f"E-{lab}"]
        i = j
    return tags


def tag_document(
    doc: Document,
    *,
    scheme: str = "bioes",
    zh_tokens: ZhTokens = "char",
    respect_spans: bool = True,
) -> tuple[list[TaggedSentence], TagStats]:
    """Tokens and BIOES/BIO tags for every sentence of ``doc``.

    doc (Document): text and gold spans.
    scheme (str): ``"bioes"`` (stanza) or ``"bio"`` (CoNLL-2003).
    zh_tokens (str): Chinese tokens per ``"char"`` or per jieba ``"word"``.
    respect_spans (bool): split tokens at span edges (the policy in the module docstring).
    RETURNS (tuple): ``([TaggedSentence, ...], TagStats)``.

    EXAMPLE:
        >>> doc = Document("d", "Give 5 mL now.", spans=(Span(5, 9, "DOSE"),))
        >>> tag_document(doc)[0][0].tags
        ('O', 'B-DOSE', 'E-DOSE', 'O', 'O')
    """
    from annotkit.segment import tokenize

    if scheme not in SCHEMES:
        raise InputError(f"unknown tag scheme {scheme!r}; choose one of {', '.join(SCHEMES)}")
    ranges, merged = document_sentences(doc)
    cuts = sorted({c for s in doc.spans for c in (s.start, s.end)}) if respect_spans else []
    out: list[TaggedSentence] = []
    n_split = n_tokens = covered = 0
    for a, b in ranges:
        toks = tokenize(doc.text, a, b, zh_tokens=zh_tokens)
        if not toks:
            continue
        toks, split = _split_at_edges(toks, [c for c in cuts if a < c < b])
        n_split += split
        spans = [s for s in doc.spans if s.start >= a and s.end <= b]
        covered += len(spans)
        tags = _tags_for(toks, spans, scheme)
        n_tokens += len(toks)
        sent_text = doc.text[a:b]
        out.append(TaggedSentence(doc.id, a, b, sentence_lang(sent_text), tuple(toks), tuple(tags)))
    dropped = len(doc.spans) - covered
    if dropped:
        logger.warning(
            "document %r: %d span(s) lie outside every sentence and were dropped", doc.id, dropped
        )
    stats = TagStats(1, len(out), n_tokens, covered, n_split, dropped, merged)
    return out, stats


def tag_documents(
    docs: Iterable[Document], *, scheme: str = "bioes", zh_tokens: ZhTokens = "char"
) -> tuple[list[TaggedSentence], TagStats]:
    """:func:`tag_document` over many documents; stats summed; split tokens logged."""
    sents: list[TaggedSentence] = []
    total = TagStats()
    for doc in docs:
        s, st = tag_document(doc, scheme=scheme, zh_tokens=zh_tokens)
        sents.extend(s)
        total = total + st
    if total.split_tokens:
        logger.info(
            "%d token(s) split at span edges so that spans fall on token boundaries",
            total.split_tokens,
        )
    return sents, total


def decode_tags(
    tokens: Sequence[tuple[int, int]], tags: Sequence[str], *, source: str = "model"
) -> list[Span]:
    """Spans from BIOES or BIO tags (lenient: a stray ``I-``/``E-`` starts an entity).

    EXAMPLE:
        >>> decode_tags([(0, 2), (3, 5), (6, 9)], ["B-DOSE", "E-DOSE", "O"])
        [Span(start=0, end=5, label='DOSE', source='model', score=None, norm=None)]
    """
    spans: list[Span] = []
    cur: tuple[int, int, str] | None = None

    def close() -> None:
        nonlocal cur
        if cur is not None:
            spans.append(Span(cur[0], cur[1], cur[2], source=source))
        cur = None

    for (a, b), tag in zip(tokens, tags, strict=True):
        if tag == "O" or len(tag) < 3 or tag[1] != "-":
            close()
            continue
        prefix, label = tag[0], tag[2:]
        if prefix in "BS" or cur is None or cur[2] != label:
            close()
            cur = (a, b, label)
        else:
            cur = (cur[0], b, label)
        if prefix in "SE":
            close()
    close()
    return spans


def to_stanza_json(text: str, sentences: Iterable[TaggedSentence]) -> list[list[dict[str, str]]]:
    """Stanza NER JSON: a list of sentences, each a list of ``{"text", "ner"}`` tokens.

    EXAMPLE:
        >>> s = TaggedSentence("d", 0, 4, "en", ((0, 1), (2, 4)), ("O", "S-DOSE"))
        >>> to_stanza_json("a 5m", [s])
        [[{'text': 'a', 'ner': 'O'}, {'text': '5m', 'ner': 'S-DOSE'}]]
    """
    return [
        [{"text": text[a:b], "ner": tag} for (a, b), tag in zip(s.tokens, s.tags, strict=True)]
        for s in sentences
    ]


# --------------------------------------------------------------------------- splits
_GROUP_KEYS = ("translation_of", "group", "group_id", "pair_id")


def group_key(docs: Sequence[Document]) -> dict[str, str]:
    """Map each document id to its group id: documents linked by ``meta["translation_of"]``
    (or a shared ``meta["group"]``/``group_id``/``pair_id``) share the smallest id in the group.

    EXAMPLE:
        >>> group_key([Document("en1", "a"), Document("zh1", "b", meta={"translation_of": "en1"})])
        {'en1': 'en1', 'zh1': 'en1'}
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            lo, hi = sorted((rx, ry))
            parent[hi] = lo

    for doc in docs:
        find(doc.id)
        for key in _GROUP_KEYS:
            value = doc.meta.get(key)
            if isinstance(value, str | int) and str(value):
                # group values live in their own namespace so "group: 7" ≠ a doc with id "7"
                other = str(value) if key == "translation_of" else f"\x00{key}:{value}"
                union(doc.id, other)
    groups: dict[str, list[str]] = {}
    for doc in docs:
        groups.setdefault(find(doc.id), []).append(doc.id)
    out: dict[str, str] = {}
    for members in groups.values():
        key = min(members)
        for m in members:
            out[m] = key
    return out


def _unit_hash(key: str) -> float:
    return int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:12], 16) / float(16**12)


def split_documents(
    docs: Iterable[Document],
    ratios: Sequence[float] = (0.8, 0.1, 0.1),
    names: Sequence[str] = ("train", "dev", "test"),
    *,
    min_nonempty: bool = False,
) -> dict[str, list[Document]]:
    """Deterministic, leakage-free document split by a hash of each document's group id.

    docs (Iterable[Document]): documents; translations are kept together (:func:`group_key`).
    ratios (Sequence[float]): shares per split (normalised; ``80/10/10`` -> 0.8, 0.1, 0.1).
    names (Sequence[str]): split names, one per ratio.
    min_nonempty (bool): with at least as many groups as splits, move whole groups so that no
        split with a non-zero ratio is empty (small data sets).
    RETURNS (dict[str, list[Document]]): split name -> documents in input order.

    EXAMPLE:
        >>> docs = [Document(f"d{i}", "x") for i in range(10)]
        >>> {k: len(v) for k, v in split_documents(docs).items()}
        {'train': 8, 'dev': 1, 'test': 1}
    """
    docs = list(docs)
    if len(ratios) != len(names) or not ratios or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise InputError(
            f"split ratios {list(ratios)} do not match split names {list(names)}; give one "
            "non-negative share per split, e.g. 80/10/10"
        )
    total = float(sum(ratios))
    bounds: list[float] = []
    acc = 0.0
    for r in ratios:
        acc += r / total
        bounds.append(acc)
    keys = group_key(docs)
    unit_of: dict[str, float] = {k: _unit_hash(k) for k in set(keys.values())}

    def bucket(h: float) -> int:
        for i, bound in enumerate(bounds):
            if h < bound:
                return i
        return len(bounds) - 1

    assign = {k: bucket(h) for k, h in unit_of.items()}
    if min_nonempty and len(assign) >= sum(1 for r in ratios if r > 0):
        for i, r in enumerate(ratios):
            if r <= 0 or i in assign.values():
                continue
            # take the group, from the fullest split, whose hash lies closest to this bucket
            counts = Counter(assign.values())
            donors = [k for k, b in assign.items() if counts[b] > 1]
            lo = bounds[i - 1] if i else 0.0
            mid = (lo + bounds[i]) / 2
            best = min(donors, key=lambda k: (abs(unit_of[k] - mid), k))
            assign[best] = i
    out: dict[str, list[Document]] = {n: [] for n in names}
    for doc in docs:
        out[names[assign[keys[doc.id]]]].append(doc)
    return out


def data_fingerprint(docs: Iterable[Document]) -> str:
    """SHA-1 of the documents' ids, texts and spans (order-independent)."""
    h = hashlib.sha1()
    for doc in sorted(docs, key=lambda d: d.id):
        rec = [doc.id, doc.text, [[s.start, s.end, s.label] for s in doc.spans]]
        h.update(json.dumps(rec, ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return h.hexdigest()


# --------------------------------------------------------------------------- training
def _dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _next_version(model_root: Path) -> str:
    nums = [int(p.name[1:]) for p in model_root.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return f"v{max(nums, default=0) + 1}"


def _run_stanza(argv: list[str], *, log: IO[str] | None, workdir: Path) -> None:
    cmd = [sys.executable, "-m", "stanza.models.ner_tagger", *argv]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
    # one BLAS/OpenMP thread: the BiLSTM is small, and spinning thread pools slow training
    # down badly on a busy 2-core machine; set ANNOTKIT_TRAIN_THREADS to change it
    threads = os.environ.get("ANNOTKIT_TRAIN_THREADS", "1")
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    logger.info("running %s", " ".join(cmd))
    tail: list[str] = []
    with subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        cwd=workdir,
        env=env,
    ) as proc:
        for line in proc.stdout or ():
            tail.append(line)
            del tail[:-40]
            if log is not None:
                log.write(line)
                log.flush()
        code = proc.wait()
    if code != 0:
        raise TrainingError(
            f"stanza.models.ner_tagger exited with status {code}; last output:\n"
            + "".join(tail[-15:])
            + "check the training data (every split needs at least one sentence) and arguments"
        )


def _write_resources(vdir: Path) -> None:
    # The minimal resources.json stanza needs to build a Pipeline offline: a known language
    # with no default processors; the NER model is passed by path (ner_model_path).
    resources = {"en": {"lang_name": "English", "default_processors": {}}}
    (vdir / "resources.json").write_text(json.dumps(resources, indent=1) + "\n", "utf-8")


def _card_readme(card: ModelCard) -> str:
    lines = [
        f"# NER model {card.ref}",
        "",
        f"stanza NER tagger trained by `annotkit train` on {card.created}.",
        "",
        f"- labels: {', '.join(card.labels)}",
        "- languages (training sentences): "
        + ", ".join(f"{k} {v}" for k, v in sorted(card.languages.items())),
        f"- training data: {card.data.get('train_documents')} documents, "
        f"{card.data.get('train_sentences')} sentences, {card.data.get('train_tokens')} tokens, "
        f"{card.data.get('train_spans')} spans; sha1 `{card.data.get('sha1')}`",
        f"- dev data: {card.data.get('dev_documents')} documents "
        f"({card.data.get('dev_source')}); sha1 `{card.data.get('dev_sha1')}`",
        f"- tokens split at span edges: {card.data.get('split_tokens')}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(card.versions.items())),
        "",
        "## Dev metrics (annotkit.evaluate)",
        "",
    ]
    lines.extend(_metrics_table(card.metrics))
    lines += [
        "",
        "## Load it",
        "",
        "```python",
        "from annotkit.annotate.ner import load_ner_model",
        f'model = load_ner_model("{card.path}")',
        "spans = model.predict(doc)",
        "```",
        "",
        "## Training arguments",
        "",
        "```",
        " ".join(card.args),
        "```",
        "",
    ]
    return "\n".join(lines)


def _metrics_table(metrics: Mapping[str, Any] | None) -> list[str]:
    if not metrics:
        return ["(no dev metrics)"]
    rows = ["| label | strict P | strict R | strict F1 | lenient P | lenient R | lenient F1 |"]
    rows.append("|---|---|---|---|---|---|---|")
    strict, lenient = metrics["strict"], metrics["lenient"]
    labels = sorted(strict.get("per_label", {}))
    for label, s, ln in [
        *((lab, strict["per_label"][lab], lenient["per_label"][lab]) for lab in labels),
        ("micro", strict["micro"], lenient["micro"]),
    ]:
        cells = [f"{m[k]:.3f}" for m in (s, ln) for k in ("precision", "recall", "f1")]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return rows


def evaluate_spans(
    gold: Sequence[Document], pred: Sequence[Document], *, labels: Sequence[str]
) -> dict[str, Any]:
    """Strict/lenient P/R/F1 per label and micro (:func:`annotkit.evaluate.evaluate`).

    RETURNS dict: ``{"documents", "strict": {"micro", "per_label"}, "lenient": {...}}``.
    """
    from annotkit.evaluate import evaluate

    result = evaluate(gold, pred, labels=labels)
    return {k: result[k] for k in ("documents", "labels", "strict", "lenient")}


def train_model(
    data: Sequence[Document],
    *,
    name: str,
    dev: Sequence[Document] | None = None,
    version: str | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    epochs: int | None = 30,
    max_steps: int | None = None,
    seed: int = 1234,
    batch_size: int = 32,
    hidden_dim: int = 128,
    zh_tokens: ZhTokens = "char",
    finetune_from: str | os.PathLike[str] | None = None,
    pretrain: str | os.PathLike[str] | None = None,
    extra_args: Sequence[str] = (),
    log: IO[str] | None = None,
) -> ModelCard:
    """Train a stanza NER model on corrected documents and register it under ``models/``.

    data (Sequence[Document]): training documents with gold spans.
    name (str): model name (``[A-Za-z0-9._-]+``); the folder is ``models_dir/NAME/VERSION``.
    dev (Sequence[Document] | None): dev documents; None splits ``data`` 90/10 by group hash.
    version (str | None): version folder; None = next ``vN``.
    epochs / max_steps (int | None): training length; ``max_steps`` wins when given,
        else ``epochs`` passes over the training sentences.
    seed (int): stanza's ``--seed`` (training is deterministic for a given seed and data).
    finetune_from / pretrain (path | None): a local stanza NER ``.pt`` to fine-tune, a local
        stanza pretrain ``.pt`` of word vectors; both must exist.
    extra_args (Sequence[str]): more ``stanza.models.ner_tagger`` arguments.
    log (IO[str] | None): stream that receives stanza's progress lines (the CLI passes stderr).
    RETURNS (ModelCard): the card written to ``model.json``.

    EXAMPLE:
        >>> from annotkit.io import read_documents
        >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
        >>> card = train_model(docs, name="tiny", models_dir="/tmp/models", max_steps=200)
        >>> card.ref
        'tiny/v1'
    """
    from annotkit.annotate.ner import NerModel
    from annotkit.models import default_models_dir, validate_name

    validate_name(name)
    root = (Path(models_dir) if models_dir is not None else default_models_dir()).resolve()
    data = list(data)
    if not data:
        raise TrainingError("no training documents; pass a JSONL file with annotated documents")
    if dev is None:
        parts = split_documents(data, (0.9, 0.1), ("train", "dev"), min_nonempty=True)
        train_docs, dev_docs = parts["train"], parts["dev"]
        dev_source = "held out from --data by group-id hash (90/10)"
        if not train_docs or not dev_docs:
            raise TrainingError(
                f"cannot hold out a dev split from {len(data)} document(s) in one translation "
                "group; add documents or pass --dev FILE"
            )
    else:
        train_docs, dev_docs = data, list(dev)
        dev_source = "given (--dev)"
        if not dev_docs:
            raise TrainingError("the dev file has no documents; pass a non-empty --dev FILE")
    labels = sorted({s.label for d in train_docs for s in d.spans})
    if not labels:
        raise TrainingError(
            f"the {len(train_docs)} training document(s) have no spans; train on annotated "
            "(corrected) documents"
        )
    for path, what in ((finetune_from, "--finetune-from model"), (pretrain, "--pretrain file")):
        if path is not None and not Path(path).is_file():
            raise ModelNotFoundError(
                f"{what} {str(path)!r} does not exist; pass the path of a local stanza .pt file"
            )

    train_sents, train_stats = tag_documents(train_docs, zh_tokens=zh_tokens)
    dev_sents, dev_stats = tag_documents(dev_docs, zh_tokens=zh_tokens)
    if not train_sents or not dev_sents:
        raise TrainingError("tokenisation produced no sentences; check the document texts")
    steps = max_steps
    if steps is None:
        steps = max(50, (epochs or 30) * math.ceil(len(train_sents) / batch_size))
    eval_interval = max(10, steps // 10)

    model_root = root / name
    version = version or _next_version(model_root)
    validate_name(version)
    vdir = model_root / version
    if vdir.exists():
        raise TrainingError(
            f"model {name}/{version} already exists at {vdir}; pick another --version or "
            "delete that folder"
        )
    model_root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=model_root))
    try:
        train_file, dev_file = work / "train.json", work / "dev.json"
        by_id = {d.id: d for d in [*train_docs, *dev_docs]}
        for path, sents in ((train_file, train_sents), (dev_file, dev_sents)):
            rows = [to_stanza_json(by_id[s.doc_id].text, [s])[0] for s in sents]
            path.write_text(json.dumps(rows, ensure_ascii=False), "utf-8")
        argv = [
            "--train_file", str(train_file), "--eval_file", str(dev_file),
            "--shorthand", f"xx_{name}", "--save_dir", str(work), "--save_name", MODEL_FILE,
            "--seed", str(seed), "--max_steps", str(steps), "--eval_interval", str(eval_interval),
            "--max_steps_no_improve", str(max(eval_interval * 5, 200)),
            "--batch_size", str(batch_size), "--hidden_dim", str(hidden_dim),
            "--log_step", str(max(1, eval_interval // 2)), "--cpu",
        ]  # fmt: skip
        if pretrain is not None:
            argv += ["--wordvec_pretrain_file", str(Path(pretrain).resolve())]
        else:
            argv += ["--no_pretrain"]
        if finetune_from is not None:
            argv += ["--finetune", "--finetune_load_name", str(Path(finetune_from).resolve())]
        argv += list(extra_args)
        _run_stanza(argv, log=log, workdir=work)
        if not (work / MODEL_FILE).is_file():
            raise TrainingError(
                f"stanza finished without writing {MODEL_FILE} in {work}; see its output above"
            )
        _write_resources(work)
        (work / "train.json").unlink()
        (work / "dev.json").unlink()
        work.chmod(0o755)
        work.rename(vdir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise

    try:
        metrics = _dev_metrics(NerModel(str(vdir.resolve()), f"{name}/{version}", zh_tokens),
                               dev_docs, labels)  # fmt: skip
        langs = Counter(s.lang for s in train_sents)
        shown_args = [a.replace(str(work), "<workdir>") for a in argv]
        card = ModelCard(
            name=name,
            version=version,
            path=str(vdir),
            labels=tuple(labels),
            languages=dict(sorted(langs.items())),
            data={
                "sha1": data_fingerprint(train_docs),
                "train_documents": len(train_docs),
                "train_sentences": train_stats.sentences,
                "train_tokens": train_stats.tokens,
                "train_spans": train_stats.spans,
                "split_tokens": train_stats.split_tokens + dev_stats.split_tokens,
                "dropped_spans": train_stats.dropped_spans + dev_stats.dropped_spans,
                "dev_documents": len(dev_docs),
                "dev_sentences": dev_stats.sentences,
                "dev_sha1": data_fingerprint(dev_docs),
                "dev_source": dev_source,
                "zh_tokens": zh_tokens,
                "scheme": "bioes",
            },
            args=tuple(shown_args),
            versions={
                "annotkit": _dist_version("annotkit"),
                "stanza": _dist_version("stanza"),
                "torch": _dist_version("torch"),
                "python": sys.version.split()[0],
            },
            created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            metrics=metrics,
            dev_docs=tuple(sorted(d.id for d in dev_docs)),
            extra={"seed": seed, "max_steps": steps, "finetune_from": _s(finetune_from),
                   "pretrain": _s(pretrain)},
        )  # fmt: skip
        write_card(card)
    except BaseException:
        shutil.rmtree(vdir, ignore_errors=True)
        raise
    return card


def _s(path: str | os.PathLike[str] | None) -> str | None:
    return None if path is None else str(path)


def _dev_metrics(
    model: NerModel, dev_docs: Sequence[Document], labels: Sequence[str]
) -> dict[str, Any]:
    pred = [
        Document(d.id, d.text, spans=spans, lang=d.lang, sentences=d.sentences, meta=d.meta)
        for d, spans in zip(dev_docs, model.predict_many(dev_docs), strict=True)
    ]
    return evaluate_spans(dev_docs, pred, labels=labels)


def write_card(card: ModelCard) -> None:
    """Write ``model.json`` and ``README.md`` into the model's folder."""
    vdir = Path(card.path)
    (vdir / "model.json").write_text(
        json.dumps(card.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8"
    )
    (vdir / "README.md").write_text(_card_readme(card), "utf-8")


def iter_sentences_json(
    docs: Iterable[Document], *, zh_tokens: ZhTokens = "char"
) -> Iterator[list[dict[str, str]]]:
    """Stanza NER JSON sentences of documents, one list of tokens per sentence."""
    for doc in docs:
        sents, _ = tag_document(doc, zh_tokens=zh_tokens)
        yield from to_stanza_json(doc.text, sents)
