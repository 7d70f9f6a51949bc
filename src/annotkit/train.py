"""Train a stanza NER model on corrected annotations: spans -> tokens -> BIOES -> stanza.

1. **Tokens and tags** come from :mod:`annotkit.tags` (the project tokenizer, tokens split
   at span edges, BIOES).
2. **Split**: without a dev file, documents are split by a hash of their *group* id
   (:mod:`annotkit.split`): a document and its translation always land in the same split.
3. **Training** runs ``python -m stanza.models.ner_tagger`` in a subprocess with
   ``--no_pretrain`` and no charlm (unless ``pretrain=``/``finetune_from=`` name local files),
   a fixed seed, and writes ``models/NAME/VERSION/`` with its card (:mod:`annotkit.models`).

EXAMPLE:
    >>> from annotkit.io import read_documents
    >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
    >>> card = train_model(docs, name="tiny", models_dir="/tmp/models", max_steps=200)
    >>> card.ref
    'tiny/v1'
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from annotkit.annotate.ner import NerModel
from annotkit.config import settings
from annotkit.doc import Document
from annotkit.errors import ModelNotFoundError, TrainingError
from annotkit.io import make_temp_dir
from annotkit.models import MODEL_FILE, ModelCard, default_models_dir, validate_name
from annotkit.split import split_documents
from annotkit.tags import TaggedSentence, TagStats, ZhTokens, tag_documents, to_stanza_json

__all__ = [
    "StanzaRun",
    "data_fingerprint",
    "evaluate_spans",
    "train_model",
    "train_stanza",
    "write_card",
]

logger = logging.getLogger(__name__)


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


def software_versions(*dists: str) -> dict[str, str]:
    """What a model card records of the software that made it: ``dists`` and Python."""
    return {**{d: _dist_version(d) for d in dists}, "python": sys.version.split()[0]}


def _next_version(model_root: Path) -> str:
    nums = [int(p.name[1:]) for p in model_root.glob("v*") if p.is_dir() and p.name[1:].isdigit()]
    return f"v{max(nums, default=0) + 1}"


def _claim_version(model_root: Path, version: str | None) -> Path:
    """Create the (empty) version folder: atomic, so two runs of ``train --name X`` at once
    never get the same version (without ``version``, the next free ``vN``)."""
    model_root.mkdir(parents=True, exist_ok=True)
    while True:
        chosen = validate_name(version or _next_version(model_root))
        vdir = model_root / chosen
        try:
            vdir.mkdir()
            return vdir
        except FileExistsError:
            if version is not None:
                raise TrainingError(
                    f"model {model_root.name}/{version} already exists at {vdir}; pick "
                    "another --version or delete that folder"
                ) from None


@contextmanager
def version_folder(model_root: Path, version: str | None) -> Iterator[tuple[Path, Path]]:
    """Claim ``model_root/VERSION`` (without ``version``, the next free ``vN``) and yield it
    with a work folder beside it to fill. When the block ends, the work folder becomes the
    version folder; on any failure both are removed. Two runs at once never share a version.
    """
    vdir = _claim_version(model_root, version)
    try:
        # .train.<pid>.<random>.tmp; also removes the work folders of killed runs
        work = make_temp_dir(model_root / "train")
    except BaseException:
        vdir.rmdir()
        raise
    try:
        yield vdir, work
        work.chmod(0o755)
        os.replace(work, vdir)  # onto the empty folder claimed above
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if vdir.is_dir() and not any(vdir.iterdir()):
            vdir.rmdir()
        raise


def _run_stanza(argv: list[str], *, log: IO[str] | None, workdir: Path, threads: int) -> None:
    cmd = [sys.executable, "-m", "stanza.models.ner_tagger", *argv]
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONUNBUFFERED="1")
    # one BLAS/OpenMP thread: the BiLSTM is small, and spinning thread pools slow training
    # down badly on a busy 2-core machine (Settings.train_threads, ANNOTKIT_TRAIN_THREADS)
    env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
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


@dataclass(frozen=True, slots=True)
class StanzaRun:
    """What :func:`train_stanza` did: arguments (work paths as ``<workdir>``), steps, sizes."""

    args: tuple[str, ...]
    steps: int
    train_sentences: tuple[TaggedSentence, ...]
    train_stats: TagStats
    dev_stats: TagStats


def train_stanza(
    train_docs: Sequence[Document],
    dev_docs: Sequence[Document],
    folder: str | os.PathLike[str],
    *,
    name: str,
    seed: int = 1234,
    epochs: int | None = 30,
    max_steps: int | None = None,
    min_steps: int = 50,
    batch_size: int = 32,
    hidden_dim: int = 128,
    zh_tokens: ZhTokens = "char",
    finetune_from: str | os.PathLike[str] | None = None,
    pretrain: str | os.PathLike[str] | None = None,
    extra_args: Sequence[str] = (),
    log: IO[str] | None = None,
    threads: int | None = None,
) -> StanzaRun:
    """Train the stanza tagger into an existing ``folder`` (``ner.pt``, ``resources.json``).

    The building block of :func:`train_model` and of the learned engine's trainer
    (:mod:`annotkit.learn.trainer`); ``dev_docs`` is stanza's eval file (it keeps the best
    checkpoint on it). Steps: ``max_steps``, else ``epochs`` passes over the training
    sentences, at least ``min_steps``.
    """
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
        steps = max(min_steps, (epochs or 30) * math.ceil(len(train_sents) / batch_size))
    eval_interval = max(10, steps // 10)
    work = Path(folder)
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
    try:
        _run_stanza(argv, log=log, workdir=work, threads=threads or settings().train_threads)
        if not (work / MODEL_FILE).is_file():
            raise TrainingError(
                f"stanza finished without writing {MODEL_FILE} in {work}; see its output above"
            )
        _write_resources(work)
    finally:
        train_file.unlink(missing_ok=True)
        dev_file.unlink(missing_ok=True)
    shown = tuple(a.replace(str(work), "<workdir>") for a in argv)
    return StanzaRun(shown, steps, tuple(train_sents), train_stats, dev_stats)


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
    threads: int | None = None,
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
    threads (int | None): BLAS/OpenMP threads for training (None: ``Settings.train_threads``).
    RETURNS (ModelCard): the card written to ``model.json``.

    EXAMPLE:
        >>> from annotkit.io import read_documents
        >>> docs = list(read_documents(["tests/data/ner_tiny.jsonl"]))
        >>> card = train_model(docs, name="tiny", models_dir="/tmp/models", max_steps=200)
        >>> card.ref
        'tiny/v1'
    """
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
    with version_folder(root / name, version) as (vdir, work):
        run = train_stanza(
            train_docs, dev_docs, work, name=name, seed=seed, epochs=epochs,
            max_steps=max_steps, batch_size=batch_size, hidden_dim=hidden_dim,
            zh_tokens=zh_tokens, finetune_from=finetune_from, pretrain=pretrain,
            extra_args=extra_args, log=log, threads=threads,
        )  # fmt: skip
    version = vdir.name
    argv, steps = run.args, run.steps
    train_sents, train_stats, dev_stats = run.train_sentences, run.train_stats, run.dev_stats

    try:
        metrics = _dev_metrics(NerModel(str(vdir.resolve()), f"{name}/{version}", zh_tokens),
                               dev_docs, labels)  # fmt: skip
        langs = Counter(s.lang for s in train_sents)
        shown_args = list(argv)
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
            versions=software_versions("annotkit", "stanza", "torch"),
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


def write_card(card: ModelCard, readme: Callable[[ModelCard], str] | None = None) -> None:
    """Write ``model.json`` and ``README.md`` (``readme(card)``; default: the stanza tagger's
    card) into the model's folder. Both model kinds write their cards through here."""
    vdir = Path(card.path)
    (vdir / "model.json").write_text(
        json.dumps(card.to_dict(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8"
    )
    (vdir / "README.md").write_text((readme or _card_readme)(card), "utf-8")
