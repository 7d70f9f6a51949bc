"""Train the learned engine from corrected documents: vocabulary, CRF, stanza, policy, card.

:func:`learn` (no files) and :func:`train_learned` (a model folder) do, in order:

1. **Rules proposals**: the packaged rules engine on every training text (deterministic, so
   this is what annotators were shown when the rules pre-annotated their documents).
2. **Inner cross-validation** (``folds`` document folds, translations kept together): for
   each fold, vocabulary and CRF are fitted on the other folds and every source is run on the
   held-out documents. Those held-out predictions choose the **policy** (per label and
   language, which source wins; :func:`annotkit.learn.policy.choose_policy`) and fit the
   **calibration** of the scores; they are also the cross-validated metrics in the card.
3. **Final fit** on all documents: project vocabulary (:mod:`annotkit.learn.vocab`), and the
   CRF over cross-fitted features (the project-term and exclusion features of each document
   come from a vocabulary learned *without* it, as at prediction time on new documents).
4. **stanza** (with ``stanza_cv=True``, or ``stanza=True``): the stanza tagger with
   small-data settings (all documents train; the eval file is the training set itself, so no
   dev split starves a small set; steps from epochs with a floor). With ``stanza_cv=True`` it
   is also trained once per fold and its held-out predictions enter the policy; without it the
   policy cannot choose stanza, so by default it is not trained at all (it would be most of
   the training time for a model the learned engine never runs).

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
    >>> card = train_learned(docs, name="ner", models_dir="/tmp/models", stanza=False)
    >>> sorted(card.extra["policy"]["choices"])
    ['CELL_TYPE', 'DOSE', 'SCALE']
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path
from typing import IO, Any

from annotkit.annotate.lexicon import load_lexicon
from annotkit.annotate.rules import annotate_text
from annotkit.doc import Document, Span
from annotkit.errors import TrainingError
from annotkit.learn.clusters import CLUSTERS_FILE, WordClusters, cluster_words
from annotkit.learn.crf import CRF_FILE, CrfParams, CrfTagger, train_crf
from annotkit.learn.engine import POLICY_FILE, Analysis, Components, analyse, decide, source_tags
from annotkit.learn.features import (
    KEEP,
    rule_tags,
    sequence_features,
    sequences,
    span_langs,
    to_delta,
)
from annotkit.learn.policy import (
    DEFAULT_STRATEGY,
    Calibration,
    Policy,
    candidate_strategies,
    choose_policy,
    combine,
    fit_calibration,
)
from annotkit.learn.vectors import PRETRAIN_FILE, build_vectors, write_pretrain
from annotkit.learn.vocab import Vocabulary, learn_vocabulary
from annotkit.models import ModelCard, default_models_dir, validate_name
from annotkit.processes import process_pool
from annotkit.split import fold_documents
from annotkit.tags import span_tags

__all__ = [
    "LearnConfig",
    "Learned",
    "cross_validate",
    "fit_components",
    "learn",
    "rules_proposals",
    "train_learned",
]

log = logging.getLogger(__name__)

Key = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class LearnConfig:
    """How the learned engine is trained (defaults chosen by ``bench/loop.py``)."""

    folds: int = 5
    cross_fit: int = 5
    crf: CrfParams = field(default_factory=CrfParams)
    # candidate order breaks ties: what annotators taught (terms) before the bare rules
    sources: tuple[str, ...] = ("terms", "rules", "crf")
    target: str = "tags"
    seed: str = ""


@dataclass(frozen=True, slots=True)
class Learned:
    """What :func:`learn` produced: the fitted parts, the policy, and held-out evidence."""

    comps: Components
    crf_model: bytes | None
    policy: Policy
    heldout: tuple[tuple[Document, Analysis], ...]
    metrics: Mapping[str, Any]
    seconds: Mapping[str, float]


def rules_proposals(docs: Sequence[Document]) -> dict[str, tuple[Span, ...]]:
    """The packaged rules engine's spans for each document, by id."""
    lex = load_lexicon()
    return {d.id: annotate_text(d.text, lexicon=lex) for d in docs}


def _train_sequences(
    doc: Document, comps: Components, rules: tuple[Span, ...], target: str
) -> tuple[list[list[list[str]]], list[list[str]]]:
    tags, terms = source_tags(doc.text, comps, rules=rules)
    seqs = sequences(doc.text, [doc.spans, tags.rules, terms, tags.lexicon, tags.project])
    xs, ys = [], []
    for seq in seqs:
        gold = [s for s in doc.spans if seq.start <= s.start and s.end <= seq.end]
        xs.append(sequence_features(doc.text, seq, tags, comps.clusters))
        y = span_tags(seq.tokens, gold)
        ys.append(to_delta(y, rule_tags(seq, tags.rules)) if target == "delta" else y)
    return xs, ys


def fit_components(
    docs: Sequence[Document],
    rules_of: Mapping[str, tuple[Span, ...]],
    config: LearnConfig = LearnConfig(),
    clusters: WordClusters | None = None,
) -> tuple[Components, bytes | None]:
    """Vocabulary from ``docs``, and the CRF on cross-fitted features (see the module doc);
    ``clusters``: word clusters for the CRF's features."""
    vocab = learn_vocabulary(docs, [rules_of[d.id] for d in docs])
    bare = Components(vocab, target=config.target, clusters=clusters)
    if "crf" not in config.sources:
        return bare, None
    xs: list[list[list[str]]] = []
    ys: list[list[str]] = []
    chunks = fold_documents(docs, config.cross_fit, seed=f"{config.seed}/xfit")
    for i, chunk in enumerate(chunks):
        rest = [d for j, c in enumerate(chunks) if j != i for d in c]
        part = Components(learn_vocabulary(rest, [rules_of[d.id] for d in rest]),
                          clusters=clusters)  # fmt: skip
        for doc in chunk:
            x, y = _train_sequences(doc, part, rules_of[doc.id], config.target)
            xs.extend(x)
            ys.extend(y)
    if not any(tag not in ("O", KEEP) for y in ys for tag in y) and config.target != "delta":
        return bare, None
    if len({tag for y in ys for tag in y}) < 2:
        return bare, None
    model = train_crf(xs, ys, config.crf)
    return replace(bare, crf=CrfTagger(model)), model


def cross_validate(
    docs: Sequence[Document],
    config: LearnConfig = LearnConfig(),
    *,
    rules_of: Mapping[str, tuple[Span, ...]] | None = None,
    stanza_of: Callable[[Sequence[Document], Sequence[Document]], list[tuple[Span, ...]]]
    | None = None,
    clusters: WordClusters | None = None,
    pool: Pool | None = None,
) -> list[tuple[Document, Analysis]]:
    """Held-out analyses of every document (``config.folds`` folds, groups kept together).

    stanza_of: ``(train_docs, heldout_docs) -> stanza spans per held-out document`` when the
        stanza model is a candidate source (run here, in this process).
    pool: worker processes (:func:`annotkit.processes.process_pool`) that fit and analyse the
        folds concurrently; the result is the same as without.
    RETURNS (list): ``(document, analysis)`` in input order.
    """
    rules_of = rules_of if rules_of is not None else rules_proposals(docs)
    folds = fold_documents(docs, config.folds, seed=config.seed)
    tasks = []
    for i, fold in enumerate(folds):
        train = [d for j, f in enumerate(folds) if j != i for d in f]
        stanza = stanza_of(train, fold) if stanza_of is not None and train else None
        args = (train, fold, dict(rules_of), config, clusters, stanza)
        tasks.append(pool.apply_async(_fold, args) if pool is not None else args)
    out: dict[str, tuple[Document, Analysis]] = {}
    for fold, task in zip(folds, tasks, strict=True):
        analyses = task.get() if isinstance(task, AsyncResult) else _fold(*task)
        out.update((d.id, (d, an)) for d, an in zip(fold, analyses, strict=True))
    return [out[d.id] for d in docs]


def _fold(
    train: Sequence[Document],
    fold: Sequence[Document],
    rules_of: Mapping[str, tuple[Span, ...]],
    config: LearnConfig,
    clusters: WordClusters | None,
    stanza: Sequence[tuple[Span, ...]] | None,
) -> list[Analysis]:
    """One fold of :func:`cross_validate`: fit on ``train``, analyse ``fold`` (in a worker
    process when there is a pool)."""
    comps, _ = (fit_components(train, rules_of, config, clusters) if train
                else (Components(target=config.target, clusters=clusters), None))  # fmt: skip
    return [
        analyse(doc, comps, rules=rules_of[doc.id],
                stanza_spans=stanza[k] if stanza is not None else None)
        for k, doc in enumerate(fold)
    ]  # fmt: skip


def _final_fit(
    docs: Sequence[Document],
    rules_of: Mapping[str, tuple[Span, ...]],
    config: LearnConfig,
    clusters: WordClusters | None,
) -> tuple[Vocabulary, bytes | None]:
    """:func:`fit_components` on all documents, in a picklable form (a worker's result)."""
    comps, model = fit_components(docs, rules_of, config, clusters)
    return comps.vocab, model


def _gold_langs(doc: Document) -> dict[Key, str]:
    spans = list(doc.spans)
    return {s.key: lang for s, lang in zip(spans, span_langs(doc.text, spans), strict=True)}


def strategy_counts(
    heldout: Sequence[tuple[Document, Analysis]], candidates: Sequence[str]
) -> dict[tuple[str, str, str], list[tuple[int, int, int]]]:
    """Held-out ``(tp, fp, fn)`` per ``(label, lang, strategy)``, one triple per document
    (strict match; documents in ``heldout`` order)."""
    acc: dict[tuple[str, str, str], list[tuple[int, int, int]]] = {}
    n = len(heldout)
    for i, (doc, an) in enumerate(heldout):
        glang = _gold_langs(doc)
        gold_by: dict[tuple[str, str], set[Key]] = {}
        for key, lang in glang.items():
            gold_by.setdefault((key[2], lang), set()).add(key)
        cells: dict[tuple[str, str], dict[str, list[Span]]] = {}
        for name, spans in an.sources.items():
            for s in spans:
                cell = (s.label, an.langs.get(s.key, "en"))
                cells.setdefault(cell, {}).setdefault(name, []).append(s)
        for cell in set(cells) | set(gold_by):
            gold = gold_by.get(cell, set())
            for strategy in candidates:
                pred = {s.key for s in combine(strategy, cells.get(cell, {}))}
                rows = acc.setdefault((cell[0], cell[1], strategy), [(0, 0, 0)] * n)
                rows[i] = (len(pred & gold), len(pred - gold), len(gold - pred))
    return acc


def select_policy(heldout: Sequence[tuple[Document, Analysis]], sources: Sequence[str]) -> Policy:
    """Choose strategies on held-out predictions, then calibrate the chosen output."""
    candidates = candidate_strategies(list(sources))
    choices, evidence = choose_policy(strategy_counts(heldout, candidates), candidates)
    uncalibrated = Policy(choices, {}, {})
    pairs: dict[str, list[tuple[float, bool]]] = {}
    for doc, an in heldout:
        gold = {s.key for s in doc.spans}
        for span in decide(an, uncalibrated):
            hit = span.key in gold
            raw = an.raw.get(span.key, 0.5)
            pairs.setdefault(span.label, []).append((raw, hit))
            pairs.setdefault("*", []).append((raw, hit))
    calibration: dict[str, Calibration] = {
        label: fit_calibration(p) for label, p in pairs.items() if len(p) >= 10 or label == "*"
    }
    return Policy(choices, calibration, {"candidates": candidates, "cells": evidence})


def heldout_metrics(heldout: Sequence[tuple[Document, Analysis]], policy: Policy) -> dict[str, Any]:
    """Cross-validated strict/lenient metrics of the policy and of the rules alone, pooled
    and per language (``annotkit.evaluate``)."""
    from annotkit.evaluate import evaluate

    gold_docs = [d for d, _ in heldout]
    systems = {
        "learned": [replace(d, spans=decide(an, policy)) for d, an in heldout],
        "rules": [replace(d, spans=an.sources["rules"]) for d, an in heldout],
    }
    labels = sorted({s.label for d in gold_docs for s in d.spans})
    out: dict[str, Any] = {}
    for name, pred in systems.items():
        res = evaluate(gold_docs, pred, labels=labels)
        out[name] = {k: res[k] for k in ("documents", "labels", "strict", "lenient")}
        out[name]["by_lang"] = _by_lang(gold_docs, pred, labels)
    return out


def _by_lang(
    gold: Sequence[Document], pred: Sequence[Document], labels: Sequence[str]
) -> dict[str, Any]:
    counts: dict[tuple[str, str], Counter[str]] = {}
    for g, p in zip(gold, pred, strict=True):
        gk = dict(zip((s.key for s in g.spans), span_langs(g.text, list(g.spans)), strict=True))
        pk = dict(zip((s.key for s in p.spans), span_langs(p.text, list(p.spans)), strict=True))
        for key, lang in gk.items():
            counts.setdefault((lang, key[2]), Counter())["tp" if key in pk else "fn"] += 1
        for key, lang in pk.items():
            if key not in gk:
                counts.setdefault((lang, key[2]), Counter())["fp"] += 1
    out: dict[str, Any] = {}
    for lang in sorted({lang for lang, _ in counts}):
        per: dict[str, Any] = {}
        total: Counter[str] = Counter()
        for label in labels:
            c = counts.get((lang, label), Counter())
            total.update(c)
            per[label] = _prf(c)
        out[lang] = {"per_label": per, "micro": _prf(total)}
    return out


def _prf(c: Mapping[str, int]) -> dict[str, Any]:
    tp, fp, fn = c.get("tp", 0), c.get("fp", 0), c.get("fn", 0)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 6), "recall": round(r, 6),
            "f1": round(f, 6)}  # fmt: skip


def learn(
    docs: Sequence[Document],
    config: LearnConfig = LearnConfig(),
    *,
    stanza_of: Callable[[Sequence[Document], Sequence[Document]], list[tuple[Span, ...]]]
    | None = None,
    clusters: WordClusters | None = None,
    workers: int = 1,
) -> Learned:
    """Inner cross-validation, policy, calibration and the final fit (no files written);
    ``clusters`` (:func:`annotkit.learn.clusters.build_clusters`) add word-cluster features
    to the CRF in every fold and in the final fit. ``workers`` > 1 fits the folds and the
    final model in that many spawned processes at once (the CRF's training holds the GIL);
    the result is identical to ``workers=1``. A script that passes ``workers`` > 1 calls this
    under ``if __name__ == "__main__":``, as every spawned-process pool needs.

    Documents are sorted by id first, so the result does not depend on the input order.
    """
    docs = sorted(docs, key=lambda d: d.id)
    if not docs:
        raise TrainingError("no training documents; pass a JSONL file with corrected documents")
    if not any(d.spans for d in docs):
        raise TrainingError(
            f"the {len(docs)} training document(s) have no spans; train on annotated "
            "(corrected) documents"
        )
    t0 = time.perf_counter()
    rules_of = rules_proposals(docs)
    sources = [s for s in config.sources if s != "stanza" or stanza_of is not None]
    if stanza_of is not None and "stanza" not in sources:
        sources.append("stanza")
    t1 = time.perf_counter()
    with ExitStack() as stack:
        pool = stack.enter_context(process_pool(workers)) if workers > 1 else None
        final = (pool.apply_async(_final_fit, (docs, rules_of, config, clusters))
                 if pool is not None else None)  # fmt: skip
        heldout = cross_validate(docs, config, rules_of=rules_of, stanza_of=stanza_of,
                                 clusters=clusters, pool=pool)  # fmt: skip
        policy = select_policy(heldout, sources)
        policy = replace(policy, evidence={**policy.evidence, "crf_target": config.target})
        metrics = heldout_metrics(heldout, policy)
        t2 = time.perf_counter()
        vocab, model = final.get() if final is not None else _final_fit(
            docs, rules_of, config, clusters)  # fmt: skip
    t3 = time.perf_counter()
    comps = Components(vocab, crf=None if model is None else CrfTagger(model),
                       target=config.target, clusters=clusters)  # fmt: skip
    # with workers, the final fit runs beside the folds: its seconds are the wait after them
    seconds = {"rules": round(t1 - t0, 2), "cross_validation": round(t2 - t1, 2),
               "final_fit": round(t3 - t2, 2), "workers": workers}  # fmt: skip
    return Learned(comps, model, policy, tuple(heldout), metrics, seconds)


# --------------------------------------------------------------------------- the folder
def _stanza_fold_predictor(
    *, name: str, seed: int, epochs: int, min_steps: int, log: IO[str] | None
) -> Callable[[Sequence[Document], Sequence[Document]], list[tuple[Span, ...]]]:
    def predict(train: Sequence[Document], heldout: Sequence[Document]) -> list[tuple[Span, ...]]:
        from annotkit.annotate.ner import NerModel
        from annotkit.train import train_stanza

        with tempfile.TemporaryDirectory(prefix="annotkit-stanza-cv-") as tmp:
            train_stanza(train, train, tmp, name=name, seed=seed, epochs=epochs,
                         min_steps=min_steps, log=log)  # fmt: skip
            model = NerModel(str(Path(tmp).resolve()), f"{name}/cv")
            return [tuple(p) for p in model.predict_many(heldout)]

    return predict


def train_learned(
    data: Sequence[Document],
    *,
    name: str,
    version: str | None = None,
    models_dir: str | os.PathLike[str] | None = None,
    config: LearnConfig = LearnConfig(),
    stanza: bool | None = None,
    stanza_cv: bool = False,
    stanza_epochs: int = 40,
    stanza_min_steps: int = 300,
    stanza_max_steps: int | None = None,
    seed: int = 1234,
    pretrain: str | os.PathLike[str] | None = None,
    corpus: Sequence[Document] | None = None,
    previous: str | None = None,
    log: IO[str] | None = None,
    threads: int | None = None,
    workers: int = 1,
) -> ModelCard:
    """Train the learned engine on corrected documents; write ``models_dir/NAME/VERSION``.

    data (Sequence[Document]): corrected documents (their spans are the truth).
    stanza (bool | None): train the stanza tagger into the folder (``ner.pt``; needs
        ``annotkit[stanza]``); ``None`` (default): when ``stanza_cv`` is on, the only case
        in which the learned engine can use it (``True`` keeps it for ``--engine model``).
    stanza_cv (bool): train stanza once per fold too, so the policy can choose it where its
        held-out predictions win (slow: ``folds + 1`` stanza runs).
    stanza_epochs / stanza_min_steps / stanza_max_steps: stanza training length.
    pretrain (path | None): stanza word vectors (:func:`annotkit.learn.vectors.build_pretrain`).
    corpus (Sequence[Document] | None): unlabelled documents (the user's own corpus): word
        clusters for the CRF's features are built from them and the corrected texts
        (``clusters.tsv`` in the model folder), and, when stanza is trained, its word vectors
        (``pretrain.pt``; not with ``pretrain``).
    previous (str | None): ``"promoted"``, ``NAME[/VERSION]`` or a folder: compare per label
        with that model on the documents it did not train on (``extra["previous"]``).
    workers (int): processes that fit the cross-validation folds and the final CRF at once
        (:func:`learn`; the same model as with 1).
    RETURNS (ModelCard): the card written to ``model.json`` (policy and CV metrics in ``extra``).
    """
    from annotkit.train import (
        data_fingerprint,
        software_versions,
        train_stanza,
        version_folder,
        write_card,
    )

    validate_name(name)
    if stanza is None:
        stanza = stanza_cv
    if stanza_cv and not stanza:
        raise TrainingError(
            "stanza_cv needs the stanza tagger; drop --no-stanza (stanza=False) or --stanza-cv"
        )
    root = (Path(models_dir) if models_dir is not None else default_models_dir()).resolve()
    docs = list(data)
    started = time.perf_counter()
    stanza_of = None
    if stanza and stanza_cv:
        stanza_of = _stanza_fold_predictor(name=name, seed=seed, epochs=stanza_epochs,
                                           min_steps=stanza_min_steps, log=log)  # fmt: skip
    clusters = None
    t_cl = time.perf_counter()
    if corpus:  # word vectors of the unlabelled and the corrected texts: CRF clusters, stanza
        words, vecs = build_vectors([d.text for d in [*corpus, *docs]], seed=seed)
        clusters = cluster_words(words, vecs, seed=seed)
    cluster_seconds = round(time.perf_counter() - t_cl, 2)
    learned = learn(docs, config, stanza_of=stanza_of, clusters=clusters, workers=workers)
    stanza_args: tuple[str, ...] = ()
    stanza_steps = None
    with version_folder(root / name, version) as (vdir, work):
        if learned.crf_model is not None:
            (work / CRF_FILE).write_bytes(learned.crf_model)
        learned.comps.vocab.write(work)
        if clusters is not None:
            clusters.write(work)
        (work / POLICY_FILE).write_text(
            json.dumps(learned.policy.to_dict(), ensure_ascii=False, indent=1, sort_keys=True)
            + "\n", "utf-8",
        )  # fmt: skip
        t_st = time.perf_counter()
        if stanza and pretrain is None and corpus:
            pretrain = write_pretrain(words, vecs, work / PRETRAIN_FILE)
        if stanza:
            run = train_stanza(
                docs, docs, work, name=name, seed=seed, epochs=stanza_epochs,
                max_steps=stanza_max_steps, min_steps=stanza_min_steps, pretrain=pretrain,
                log=log, threads=threads,
            )  # fmt: skip
            stanza_args, stanza_steps = run.args, run.steps
        stanza_seconds = round(time.perf_counter() - t_st, 2)
    version = vdir.name
    try:
        labels = sorted({s.label for d in docs for s in d.spans})
        langs = Counter(lang for d in docs for lang in span_langs(d.text, list(d.spans)))
        vocab: Vocabulary = learned.comps.vocab
        card = ModelCard(
            name=name,
            version=version,
            path=str(vdir),
            labels=tuple(labels),
            languages=dict(sorted(langs.items())),
            data={
                "sha1": data_fingerprint(docs),
                "train_documents": len(docs),
                "train_spans": sum(len(d.spans) for d in docs),
                "spans_per_label": dict(sorted(Counter(s.label for d in docs
                                                       for s in d.spans).items())),
                "train_docs": sorted(f"{d.id} {d.hash}" for d in docs),
                "project_terms": len(vocab.terms),
                "project_exclusions": len(vocab.exclusions),
                "dev_source": f"{config.folds}-fold document cross-validation (groups kept "
                              "together); no documents held out of training",
                "zh_tokens": "char",
                "scheme": "bioes",
            },
            args=stanza_args,
            versions=software_versions("annotkit", "python-crfsuite", "stanza", "torch"),
            created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            metrics=learned.metrics["learned"],
            dev_docs=(),
            extra={
                "engine": "learned.v1",
                "seed": seed,
                "policy": learned.policy.to_dict(),
                "cv": {"folds": config.folds, "rules": learned.metrics["rules"]},
                "crf": config.crf.to_dict(),
                "clusters": None if clusters is None else {
                    "file": CLUSTERS_FILE, "words": len(clusters.ids),
                    "sizes": list(clusters.sizes), "corpus_documents": len(corpus or ())},
                "stanza": {"trained": stanza, "in_policy": stanza_cv, "steps": stanza_steps,
                           "pretrain": None if pretrain is None else
                           str(pretrain).replace(str(work), "<model>"),
                           "corpus_documents": len(corpus or ())},
                "previous": compare_previous(previous, docs, learned, root),
                "seconds": {**learned.seconds, "clusters": cluster_seconds,
                            "stanza": stanza_seconds,
                            "total": round(time.perf_counter() - started, 2)},
            },
        )  # fmt: skip
        write_card(card, learned_readme)
    except BaseException:
        shutil.rmtree(vdir, ignore_errors=True)
        raise
    return card


def compare_previous(
    previous: str | None, docs: Sequence[Document], learned: Learned, root: Path
) -> dict[str, Any] | None:
    """Per-label strict F1 of the previous model and of the new one (held out) on the
    documents the previous model did not train on (all documents when its card does not say
    which it trained on). None without a previous model."""
    if previous is None:
        return None
    from annotkit.annotate import preannotate
    from annotkit.errors import ModelNotFoundError
    from annotkit.models import get_model, promoted_model

    try:
        card = promoted_model(root) if previous == "promoted" else get_model(previous, root)
    except ModelNotFoundError:
        return None
    seen = {str(x).rsplit(" ", 1)[-1] for x in card.data.get("train_docs", ())}
    heldout = {d.id: an for d, an in learned.heldout}
    new = [d for d in docs if d.hash not in seen]
    out: dict[str, Any] = {"ref": card.ref, "documents": len(new),
                           "all_documents": not seen}  # fmt: skip
    if not new:
        return out
    plain = [Document(d.id, d.text) for d in new]
    systems = {
        "previous": [replace(d, spans=preannotate(p, engine="ensemble", model=card.path,
                                                   project=False).spans)
                     for d, p in zip(new, plain, strict=True)],
        "new": [replace(d, spans=decide(heldout[d.id], learned.policy)) for d in new],
        "rules": [replace(d, spans=heldout[d.id].sources["rules"]) for d in new],
    }  # fmt: skip
    from annotkit.evaluate import evaluate

    labels = sorted({s.label for d in docs for s in d.spans})
    per: dict[str, dict[str, float | None]] = {label: {} for label in labels}
    micro: dict[str, float] = {}
    for name, pred in systems.items():
        res = evaluate(new, pred, labels=labels)["strict"]
        for label in labels:
            row = res["per_label"][label]
            empty = not row.get("gold") and not row.get("pred")  # nothing to score
            per[label][name] = None if empty else round(row["f1"], 6)
        micro[name] = round(res["micro"]["f1"], 6)
    out.update(per_label=per, micro=micro)
    return out


def _f(x: Any) -> str:
    return "-" if x is None else f"{float(x):.3f}"


def learned_readme(card: ModelCard) -> str:
    """The model card for people: data, policy, cross-validated metrics per label/language."""
    extra = card.extra
    policy = extra.get("policy", {})
    rules = extra.get("cv", {}).get("rules", {})
    metrics = card.metrics or {}
    lines = [
        f"# Learned NER model {card.ref}",
        "",
        f"Trained by `annotkit train` on {card.created}: rules + project vocabulary + CRF"
        + (" + stanza" if extra.get("stanza", {}).get("trained") else "")
        + ", combined by a policy chosen on held-out documents.",
        "",
        f"- labels: {', '.join(card.labels)}",
        f"- training data: {card.data.get('train_documents')} documents, "
        f"{card.data.get('train_spans')} spans; sha1 `{card.data.get('sha1')}`",
        f"- project terms: {card.data.get('project_terms')}, project exclusions: "
        f"{card.data.get('project_exclusions')} (`terms.tsv`, `exclusions.tsv`)",
        f"- evaluation: {card.data.get('dev_source')}",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in sorted(card.versions.items())),
        "",
        "## Policy (which source wins, per label and language)",
        "",
        "| label | language | strategy | held-out F1 of the strategy | of the rules | best "
        "other candidate (F1, bootstrap win share vs rules) |",
        "|---|---|---|---|---|---|",
    ]
    cells = policy.get("evidence", {}).get("cells", {})
    for label, by_lang in sorted(policy.get("choices", {}).items()):
        for lang, strategy in sorted(by_lang.items()):
            cand = cells.get(label, {}).get(lang, {}).get("candidates", {})
            others = sorted(((v.get("f1", 0), k) for k, v in cand.items() if k != strategy),
                            reverse=True)  # fmt: skip
            other = "-"
            if others:
                k = others[0][1]
                share = cand[k].get("win_share")
                other = f"`{k}` ({_f(cand[k].get('f1'))}, {_f(share)})"
            lines.append(
                f"| {label} | {lang} | `{strategy}` | {_f(cand.get(strategy, {}).get('f1'))} "
                f"| {_f(cand.get(DEFAULT_STRATEGY, {}).get('f1'))} | {other} |"
            )
    lines += [
        "",
        "## Cross-validated strict F1 (learned / rules)",
        "",
        "| language | label | learned P | learned R | learned F1 | rules F1 |",
        "|---|---|---|---|---|---|",
    ]
    for lang, m in sorted(metrics.get("by_lang", {}).items()):
        r_lang = rules.get("by_lang", {}).get(lang, {})
        for label in [*sorted(m["per_label"]), "micro"]:
            cur = m["micro"] if label == "micro" else m["per_label"][label]
            base = r_lang.get("micro" if label == "micro" else "per_label", {})
            base_f1 = base.get("f1") if label == "micro" else base.get(label, {}).get("f1")
            lines.append(f"| {lang} | {label} | {_f(cur['precision'])} | {_f(cur['recall'])} | "
                         f"{_f(cur['f1'])} | {_f(base_f1)} |")  # fmt: skip
    strict = metrics.get("strict", {}).get("micro", {})
    base = rules.get("strict", {}).get("micro", {})
    lines += [
        "",
        f"All languages: strict micro F1 {_f(strict.get('f1'))} (rules {_f(base.get('f1'))}).",
        "",
        "## Use it",
        "",
        "```",
        f"annotkit annotate docs.jsonl --engine ensemble --model {card.ref}",
        f"annotkit rank next.jsonl --model {card.ref} -o ranked.jsonl",
        "```",
        "",
    ]
    return "\n".join(lines)
