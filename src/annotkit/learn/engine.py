"""The learned engine: everything a trained model folder holds, applied to one document.

For each document the engine computes its *sources*: ``rules`` (the packaged rules engine),
``terms`` (the rules again, with the project terms added to the lexicon and the project
exclusions applied), ``crf`` (the sequence model over fine tokens, which sees the rules'
proposals, lexicon and project-term hits as features) and, when the policy uses it,
``stanza``. The policy (:mod:`annotkit.learn.policy`) then picks, per label and language,
which source wins; overlaps between labels go to the higher calibrated score. Every span
carries a calibrated ``score`` in (0, 1]; spans the rules produced unchanged keep their rule
``source`` and ``norm``, the others are ``model:NAME/VERSION`` (project terms keep their
concept id in ``norm``).

EXAMPLE:
    >>> model = load_learned_model("models/ner/v2")
    >>> [(s.label, s.score) for s in model.predict(Document("d", "We gave eASCs."))]
    [('CELL_TYPE', 0.83)]
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from annotkit.annotate.lexicon import Lexicon, load_lexicon
from annotkit.annotate.rules import annotate_text
from annotkit.doc import Document, Span
from annotkit.errors import ModelNotFoundError
from annotkit.learn.clusters import WordClusters
from annotkit.learn.crf import CRF_FILE, CrfTagger
from annotkit.learn.features import (
    SourceTags,
    TokenSeq,
    delta_marginals,
    from_delta,
    rule_tags,
    sequence_features,
    sequences,
    span_langs,
    trim_span,
)
from annotkit.learn.policy import Policy, combine
from annotkit.learn.vocab import Vocabulary
from annotkit.models import LEARNED_FILE, MODEL_FILE, ModelCard, get_model, promoted_model
from annotkit.tags import decode_tags

__all__ = [
    "POLICY_FILE",
    "Analysis",
    "Components",
    "LearnedModel",
    "analyse",
    "decide",
    "is_learned",
    "load_learned_model",
    "source_tags",
]

log = logging.getLogger(__name__)

POLICY_FILE = LEARNED_FILE
Key = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class Components:
    """The learned parts: vocabulary, CRF (None: not trained), a stanza model, and the word
    clusters the CRF's features use (None: none; from ``annotkit train --corpus``).

    ``target`` is what the CRF predicts: ``"delta"`` (the gold tag where it differs from the
    rules' tag, else ``KEEP``: copying the rules is the default, what annotators changed is
    learned, for every label at once) or ``"tags"`` (the gold tags themselves).
    """

    vocab: Vocabulary = field(default_factory=Vocabulary)
    crf: CrfTagger | None = None
    stanza: Any = None
    target: str = "tags"
    clusters: WordClusters | None = None

    @property
    def base(self) -> Lexicon:
        return load_lexicon()


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the engine computed for one document: each source's spans, the raw confidence
    and language of every candidate span, and per token the marginal probability of ``O``."""

    sources: Mapping[str, tuple[Span, ...]]
    raw: Mapping[Key, float]
    langs: Mapping[Key, str]
    token_o: tuple[tuple[int, int, float], ...] = ()


def _as_spans(matches: Iterable[Any]) -> tuple[Span, ...]:
    return tuple(Span(m.start, m.end, m.label) for m in matches)


def source_tags(
    text: str, comps: Components, *, rules: tuple[Span, ...] | None = None
) -> tuple[SourceTags, tuple[Span, ...]]:
    """The CRF's knowledge features and the ``terms`` source for one text.

    rules (tuple[Span, ...] | None): the rules' spans when already computed.
    RETURNS (SourceTags, terms spans).
    """
    base = comps.base
    rule_spans = rules if rules is not None else annotate_text(text, lexicon=base)
    vocab = comps.vocab
    project = vocab.project_lexicon()
    if vocab.terms:
        terms = vocab.filter(text, annotate_text(text, lexicon=vocab.lexicon()))
    else:
        terms = vocab.filter(text, rule_spans)
    tags = SourceTags(
        rules=rule_spans,
        lexicon=_as_spans(base.match(text)),
        project=_as_spans(project.match(text)) if project is not None else (),
        excluded=vocab.excluded(text, rule_spans),
    )
    return tags, terms


def _expected_tags(n: int, label: str) -> list[str]:
    if n == 1:
        return [f"S-{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (n - 2) + [f"E-{label}"]


class _Located:
    """Find the sequence and token range of a span."""

    def __init__(self, seqs: Sequence[TokenSeq]) -> None:
        self.seqs = seqs
        self.starts = [s.start for s in seqs]
        self.ends = [[t[1] for t in s.tokens] for s in seqs]

    def seq_of(self, start: int) -> int | None:
        i = bisect.bisect_right(self.starts, start) - 1
        if i < 0 or start >= self.seqs[i].end:
            return None
        return i

    def tokens_of(self, i: int, span: Span) -> tuple[int, int]:
        toks = self.seqs[i].tokens
        a = bisect.bisect_left(self.ends[i], span.start + 1)
        b = a
        while b < len(toks) and toks[b][0] < span.end:
            b += 1
        return a, b


def analyse(
    doc: Document,
    comps: Components,
    *,
    ref: str = "learned",
    rules: tuple[Span, ...] | None = None,
    stanza_spans: tuple[Span, ...] | None = None,
) -> Analysis:
    """Run every source and the sequence model on ``doc`` (its own spans are ignored).

    rules (tuple[Span, ...] | None): the rules' spans when already computed (training).
    stanza_spans: the stanza model's spans when known (training); None runs
        ``comps.stanza`` when there is one.
    """
    text = doc.text
    tags, terms = source_tags(text, comps, rules=rules)
    sources: dict[str, tuple[Span, ...]] = {"rules": tags.rules, "terms": terms}
    if stanza_spans is None and comps.stanza is not None:
        stanza_spans = tuple(comps.stanza.predict(doc))
    if stanza_spans is not None:
        sources["stanza"] = stanza_spans
    seqs = sequences(text, [tags.rules, terms, tags.lexicon, tags.project, stanza_spans or ()])
    source = f"model:{ref}"
    crf_spans: list[Span] = []
    margs_of: list[list[dict[str, float]]] = []
    token_o: list[tuple[int, int, float]] = []
    for seq in seqs:
        if comps.crf is None:
            margs_of.append([])
            continue
        feats = sequence_features(text, seq, tags, comps.clusters)
        labels, margs = comps.crf.tag(feats)
        if comps.target == "delta":
            rtags = rule_tags(seq, tags.rules)
            labels, margs = from_delta(labels, rtags), delta_marginals(margs, rtags)
        margs_of.append(margs)
        for (a, b), m in zip(seq.tokens, margs, strict=True):
            token_o.append((a, b, m.get("O", 1.0)))
        for span in decode_tags(seq.tokens, labels, source=source):
            trimmed = trim_span(text, span)
            if trimmed is not None:
                crf_spans.append(trimmed)
    sources["crf"] = tuple(sorted(crf_spans, key=lambda s: (s.start, s.end)))

    where = _Located(seqs)
    raw: dict[Key, float] = {}
    unique = list({s.key: s for spans in sources.values() for s in spans}.values())
    langs = {
        s.key: lang
        for s, lang in zip(unique, span_langs(text, unique, sentences=doc.sentences), strict=True)
    }
    for span in unique:
        i = where.seq_of(span.start)
        if i is None:
            raw[span.key] = 0.5
        elif not margs_of[i]:
            raw[span.key] = 1.0
        else:
            a, b = where.tokens_of(i, span)
            want = _expected_tags(max(1, b - a), span.label)
            vals = [margs_of[i][t].get(tag, 0.0) for t, tag in zip(range(a, b), want, strict=False)]
            raw[span.key] = min(vals) if vals else 0.0
    return Analysis(sources, raw, langs, tuple(token_o))


def decide(analysis: Analysis, policy: Policy, *, ref: str = "learned") -> tuple[Span, ...]:
    """The final spans: the policy's strategy per label and language, overlaps between
    labels resolved by calibrated score (then length), details attached."""
    labels = sorted({s.label for spans in analysis.sources.values() for s in spans})
    picked: list[Span] = []
    for label in labels:
        by_lang: dict[str, dict[str, list[Span]]] = {}
        for name, spans in analysis.sources.items():
            for s in spans:
                if s.label == label:
                    lang = analysis.langs.get(s.key, "en")
                    by_lang.setdefault(lang, {}).setdefault(name, []).append(s)
        for lang, srcs in sorted(by_lang.items()):
            picked.extend(combine(policy.strategy(label, lang), srcs))
    scored = [(policy.score(s.label, analysis.raw.get(s.key, 0.5)), s) for s in picked]
    scored.sort(key=lambda x: (-x[0], x[1].start - x[1].end, x[1].start, x[1].label))
    kept: list[tuple[float, Span]] = []
    for score, span in scored:
        if not any(span.start < k.end and k.start < span.end for _, k in kept):
            kept.append((score, span))
    rules = {s.key: s for s in analysis.sources.get("rules", ())}
    terms = {s.key: s for s in analysis.sources.get("terms", ())}
    out: list[Span] = []
    source = f"model:{ref}"
    for score, span in kept:
        base = rules.get(span.key)
        if base is None:
            t = terms.get(span.key)
            norm = t.norm if t is not None else None
            base = Span(span.start, span.end, span.label, source, None, norm)
        out.append(dataclasses.replace(base, score=round(score, 4), status=None, by=None))
    out.sort(key=lambda s: (s.start, s.end))
    return tuple(out)


def is_learned(folder: str | os.PathLike[str]) -> bool:
    """True when ``folder`` holds a learned-engine model (``policy.json``)."""
    return (Path(folder) / POLICY_FILE).is_file()


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """A model folder written by :func:`annotkit.learn.trainer.train_learned`, loaded."""

    path: str
    ref: str
    comps: Components
    policy: Policy

    @property
    def source(self) -> str:
        return f"model:{self.ref}"

    def analyse(self, doc: Document) -> Analysis:
        return analyse(doc, self._comps_for_policy(), ref=self.ref)

    def _comps_for_policy(self) -> Components:
        if self.comps.stanza is not None and "stanza" not in self.policy.sources():
            return dataclasses.replace(self.comps, stanza=None)  # not used: do not run it
        return self.comps

    def predict(self, doc: Document) -> tuple[Span, ...]:
        """Sorted, non-overlapping spans with calibrated scores."""
        return decide(self.analyse(doc), self.policy, ref=self.ref)

    def predict_many(self, docs: Iterable[Document]) -> list[tuple[Span, ...]]:
        return [self.predict(d) for d in docs]


def _card(path: str | os.PathLike[str] | None, models_dir: str | os.PathLike[str] | None
          ) -> ModelCard:  # fmt: skip
    if path is None:
        return promoted_model(models_dir)
    return get_model(str(path), models_dir)


def load_learned_model(
    path: str | os.PathLike[str] | None = None,
    *,
    models_dir: str | os.PathLike[str] | None = None,
) -> LearnedModel:
    """Load a learned model: a folder, ``NAME[/VERSION]`` or None (the promoted model).

    Raises :class:`ModelNotFoundError` when the folder holds no learned model.
    """
    card = _card(path, models_dir)
    return _load(str(Path(card.path).resolve()), card.ref)


@lru_cache(maxsize=4)
def _load(folder: str, ref: str) -> LearnedModel:
    vdir = Path(folder)
    if not is_learned(vdir):
        raise ModelNotFoundError(
            f"{vdir} holds no learned-engine model ({POLICY_FILE} is missing); train one with "
            "`annotkit train --data FILE --name NAME`"
        )
    try:
        policy = Policy.from_dict(json.loads((vdir / POLICY_FILE).read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise ModelNotFoundError(
            f"cannot read {vdir / POLICY_FILE} ({err}); retrain the model with `annotkit train`"
        ) from None
    crf_file = vdir / CRF_FILE
    crf = CrfTagger(crf_file.read_bytes()) if crf_file.is_file() else None
    target = str(policy.evidence.get("crf_target", "tags"))
    stanza = None
    if (vdir / MODEL_FILE).is_file() and "stanza" in policy.sources():
        from annotkit.annotate.ner import load_ner_model

        stanza = load_ner_model(str(vdir))
    comps = Components(Vocabulary.read(vdir), crf, stanza, target, WordClusters.read(vdir))
    return LearnedModel(str(vdir), ref, comps, policy)
