"""The learned engine end to end: real CRF and stanza training on data built here.

The corpus follows a made-up project convention that the rules cannot know, defined
relative to what the rules propose (so the test does not depend on the rules' quality):
annotators add the cell name ``florbix`` and doses in ``zunits``, and delete ``MSCs`` in
``MSCs hotline``; everything else the rules propose they keep. A model trained on such
corrections must do the same on documents it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest

from annotkit.annotate import preannotate
from annotkit.annotate.lexicon import default_lexicon_paths
from annotkit.annotate.rules import annotate_text
from annotkit.doc import Document, Span
from annotkit.evaluate import evaluate
from annotkit.io import write_jsonl
from annotkit.learn.engine import load_learned_model
from annotkit.learn.rank import rank_documents
from annotkit.learn.trainer import LearnConfig, train_learned
from annotkit.learn.vectors import build_vectors
from annotkit.models import ModelCard, get_model, promote
from annotkit.record import document_to_record

pytestmark = pytest.mark.model

_CELLS = ("mesenchymal stem cells", "MSCs", "bone marrow-derived MSCs", "hMSCs")
_SENTENCES = (
    "Patients received {n} zunits of {cell} in {v} mL of saline.",
    "The florbix population expanded after {n} days.",
    "Questions went to the MSCs hotline.",
    "We injected {cell} twice; florbix were counted.",
    "Each arm got {n} zunits and pain was scored on the visual analogue scale.",
    "Call the MSCs hotline before {n} weeks; {cell} were thawed.",
)


def _corrected(text: str) -> Document:
    """The convention applied to the rules' proposals."""
    spans = list(annotate_text(text))
    wanted: list[Span] = []
    for m in re.finditer(r"\b\d+ zunits\b", text):
        wanted.append(Span(m.start(), m.end(), "DOSE"))
    for m in re.finditer(r"\bflorbix\b", text):
        wanted.append(Span(m.start(), m.end(), "CELL_TYPE"))
    hotline = [m.start() for m in re.finditer(r"MSCs hotline", text)]
    kept = [s for s in spans if s.start not in hotline
            and not any(s.start < w.end and w.start < s.end for w in wanted)]  # fmt: skip
    out = sorted([*kept, *wanted], key=lambda s: (s.start, s.end))
    return Document(hashlib.sha1(text.encode()).hexdigest()[:10], text,
                    spans=tuple(Span(s.start, s.end, s.label) for s in out))  # fmt: skip


def corpus(n: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        sents = []
        for _ in range(4):
            t = rng.choice(_SENTENCES)
            sents.append(
                t.format(n=rng.randint(2, 90), v=rng.randint(1, 9), cell=rng.choice(_CELLS))
            )
        docs.append(_corrected(" ".join(sents)))
    return docs


@pytest.fixture(scope="module")
def train_docs() -> list[Document]:
    return corpus(24, seed=1)


@pytest.fixture(scope="module")
def test_docs() -> list[Document]:
    return corpus(12, seed=2)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("learned-models")


@pytest.fixture(scope="module")
def trained(models: Path, train_docs: list[Document]) -> ModelCard:
    return train_learned(train_docs, name="proj", models_dir=models, config=LearnConfig(folds=3),
                         stanza=True, stanza_max_steps=30)  # fmt: skip


def _f1(gold: list[Document], pred: list[Document]) -> float:
    return float(evaluate(gold, pred)["strict"]["micro"]["f1"])


def test_learn_model_folder_and_card(trained: ModelCard, train_docs: list[Document]) -> None:
    vdir = Path(trained.path)
    assert {p.name for p in vdir.iterdir()} == {
        "crf.crfsuite", "terms.tsv", "exclusions.tsv", "policy.json", "ner.pt",
        "resources.json", "model.json", "README.md",
    }  # fmt: skip
    card = json.loads((vdir / "model.json").read_text("utf-8"))
    assert card["data"]["train_documents"] == len(train_docs) and len(card["data"]["sha1"]) == 40
    assert len(card["data"]["train_docs"]) == len(train_docs)
    assert card["extra"]["engine"] == "learned.v1"
    assert set(card["extra"]["policy"]["choices"]) == {"CELL_TYPE", "DOSE", "SCALE"}
    assert set(card["metrics"]["by_lang"]["en"]["per_label"]) == {"CELL_TYPE", "DOSE", "SCALE"}
    assert card["extra"]["cv"]["rules"]["strict"]["micro"]["f1"] < card["metrics"]["strict"][
        "micro"]["f1"]  # fmt: skip
    assert card["extra"]["stanza"]["trained"] and "--no_pretrain" in card["args"]
    readme = (vdir / "README.md").read_text("utf-8")
    assert "Policy" in readme and "Cross-validated" in readme and trained.data["sha1"] in readme
    assert get_model(str(vdir)).ref == "proj/v1"


def test_learn_model_learns_the_project_convention(
    trained: ModelCard, test_docs: list[Document]
) -> None:
    model = load_learned_model(trained.path)
    pred = [Document(d.id, d.text, spans=model.predict(Document(d.id, d.text))) for d in test_docs]
    rules = [Document(d.id, d.text, spans=annotate_text(d.text)) for d in test_docs]
    assert _f1(test_docs, pred) >= 0.95 > _f1(test_docs, rules)
    terms = {t.term for t in model.comps.vocab.terms}
    assert "florbix" in terms
    assert any(e.term == "mscs" and e.context == "hotline" for e in model.comps.vocab.exclusions)
    for doc in pred:
        for s in doc.spans:
            assert 0 < (s.score or 0) <= 1 and doc.text_of(s) == doc.text_of(s).strip()
            assert s.source is not None
        hot = doc.text.find("MSCs hotline")
        assert hot < 0 or not any(s.start == hot for s in doc.spans)


def test_learn_model_annotate_ensemble_applies_it(
    trained: ModelCard, models: Path, test_docs: list[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = Document("x", "We gave 40 zunits of florbix to each patient.")
    out = preannotate(doc, engine="ensemble", model=trained.path)
    assert [(out.text_of(s), s.label) for s in out.spans] == [
        ("40 zunits", "DOSE"), ("florbix", "CELL_TYPE")]  # fmt: skip
    assert all(s.status == "suggested" and s.source == "model:proj/v1" for s in out.spans)
    monkeypatch.setenv("ANNOTKIT_MODELS_DIR", str(models))
    promote(trained.ref, models)
    assert preannotate(doc, engine="ensemble").spans == out.spans  # the promoted model


def test_learn_model_nothing_learned_enters_the_packaged_lexicons(trained: ModelCard) -> None:
    for path in default_lexicon_paths():
        assert "florbix" not in path.read_text("utf-8")
    assert annotate_text("florbix were counted") == ()


def test_learn_model_training_is_deterministic(
    trained: ModelCard, models: Path, train_docs: list[Document], test_docs: list[Document]
) -> None:
    again = train_learned(list(reversed(train_docs)), name="proj", models_dir=models,
                          config=LearnConfig(folds=3), stanza=False)  # fmt: skip
    assert again.ref == "proj/v2"
    for name in ("crf.crfsuite", "terms.tsv", "exclusions.tsv", "policy.json"):
        assert (Path(again.path) / name).read_bytes() == (Path(trained.path) / name).read_bytes()
    a, b = load_learned_model(trained.path), load_learned_model(again.path)

    def shown(model: object, doc: Document) -> list[tuple[object, ...]]:
        return [(s.key, s.score, s.norm) for s in model.predict(doc)]  # type: ignore[attr-defined]

    assert [shown(a, d) for d in test_docs] == [shown(b, d) for d in test_docs]


def test_learn_model_rank_and_cli(
    run_cli, trained: ModelCard, models: Path, test_docs: list[Document], tmp_path: Path
) -> None:
    model = load_learned_model(trained.path)
    unlabelled = [Document(d.id, d.text) for d in test_docs]
    ranked = rank_documents(unlabelled, model)
    assert [r.position for r in ranked] == list(range(1, len(unlabelled) + 1))
    assert [r.value for r in ranked] == sorted((r.value for r in ranked), reverse=True)
    src = tmp_path / "next.jsonl"
    write_jsonl((document_to_record(d) for d in unlabelled), src)
    r = run_cli("rank", str(src), "--model", trained.path, "--top", "5")
    assert r.returncode == 0, r.stderr[-2000:]
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [row["id"] for row in rows] == [x.id for x in ranked[:5]]
    assert [row["rank"]["position"] for row in rows] == [1, 2, 3, 4, 5]
    r = run_cli("annotate", str(src), "--engine", "ensemble", "--model", trained.path)
    assert r.returncode == 0, r.stderr[-2000:]
    spans = [s for line in r.stdout.splitlines() for s in json.loads(line)["spans"]]
    assert spans and all(0 < s["score"] <= 1 for s in spans)


def test_learn_model_train_cli_shows_change_from_promoted(
    run_cli, trained: ModelCard, models: Path, train_docs: list[Document], tmp_path: Path
) -> None:
    promote(trained.ref, models)
    data = tmp_path / "more.jsonl"
    write_jsonl((document_to_record(d) for d in [*train_docs, *corpus(6, seed=3)]), data)
    r = run_cli(
        "train",
        "--data",
        str(data),
        "--name",
        "proj",
        "--models-dir",
        str(models),
        "--folds",
        "3",
        "--promote",
    )  # fmt: skip  (default: no stanza)
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads(r.stdout)
    assert card["extra"]["previous"]["ref"] == trained.ref
    assert card["extra"]["previous"]["documents"] == 6  # the ones proj/v1 did not train on
    assert "change from proj/v1 on 6 new document(s)" in r.stderr
    vdir = models / card["name"] / card["version"]
    assert not (vdir / "ner.pt").exists()
    shown = json.loads(run_cli("models", "show", str(vdir)).stdout)
    assert shown["extra"]["engine"] == "learned.v1"


def test_learn_model_word_vectors_from_a_corpus(
    models: Path, train_docs: list[Document], tmp_path: Path
) -> None:
    words, vecs = build_vectors([d.text for d in corpus(40, seed=4)], dim=8)
    assert vecs.shape == (len(words), 8) and "florbix" in words
    again = build_vectors([d.text for d in corpus(40, seed=4)], dim=8)
    assert again[0] == words and (again[1] == vecs).all()
    card = train_learned(train_docs, name="vec", models_dir=models, config=LearnConfig(folds=2),
                         corpus=corpus(40, seed=4), stanza=True, stanza_max_steps=20)  # fmt: skip
    assert (Path(card.path) / "pretrain.pt").is_file()
    assert "--wordvec_pretrain_file" in card.args and "--no_pretrain" not in card.args
    out = preannotate(Document("x", "40 zunits of florbix"), engine="ensemble", model=card.path)
    assert [s.label for s in out.spans] == ["DOSE", "CELL_TYPE"]


def _nonce_world() -> tuple[list[Document], list[Document]]:
    """Corrected documents in which 20 made-up cell words are CELL_TYPE (each in one document,
    beside a made-up non-entity word), and an unlabelled corpus using all of them, plus
    ``quelp`` like the cell words and ``zorp`` like the others, in the same contexts."""
    rng = random.Random(3)

    def word() -> str:
        return "".join(rng.choice("bcdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3))

    cells, others = [word() for _ in range(20)], [word() for _ in range(20)]
    c_ctx = ("The {w} population expanded.", "We injected {w} twice.",
             "Viable {w} were thawed.", "Counts of {w} fell.")  # fmt: skip
    o_ctx = ("The {w} protocol was approved.", "We followed {w} guidance.",
             "Staff used the {w} form.", "Copies of {w} were filed.")  # fmt: skip
    docs = []
    for k, (c, o) in enumerate(zip(cells, others, strict=True)):
        text, spans = "", []
        for t in [*rng.sample(c_ctx, 2), *rng.sample(o_ctx, 2)]:
            sentence = t.format(w=c if t in c_ctx else o)
            if t in c_ctx:
                at = len(text) + sentence.index(c)
                spans.append(Span(at, at + len(c), "CELL_TYPE"))
            text += sentence + " "
        docs.append(Document(f"n{k:02d}", text.strip(), tuple(spans)))
    unlabelled = [Document(f"u{k}-{w}", " ".join(t.format(w=w) for t in ctx))
                  for k in range(3) for words, ctx in ((cells + ["quelp"], c_ctx),
                                                       (others + ["zorp"], o_ctx))
                  for w in words]  # fmt: skip
    return docs, unlabelled


def test_learn_model_word_clusters_tell_unseen_words_apart_by_how_the_corpus_uses_them(
    models: Path,
) -> None:
    docs, unlabelled = _nonce_world()
    plain = train_learned(docs, name="plain", models_dir=models, config=LearnConfig(folds=2))
    clustered = train_learned(docs, name="clus", models_dir=models, config=LearnConfig(folds=2),
                              corpus=unlabelled)  # fmt: skip
    assert (Path(clustered.path) / "clusters.tsv").is_file()
    assert not (Path(plain.path) / "clusters.tsv").exists() and plain.extra["clusters"] is None
    assert clustered.extra["clusters"]["corpus_documents"] == len(unlabelled)
    a, b = load_learned_model(plain.path), load_learned_model(clustered.path)
    assert a.comps.clusters is None and b.comps.clusters is not None

    def p_entity(model: object, word: str) -> float:
        doc = Document("q", f"Reports of {word} rose.")  # a context no training text has
        at = doc.text.index(word)
        an = model.analyse(doc)  # type: ignore[attr-defined]
        return 1.0 - float(next(p for s, _, p in an.token_o if s == at))

    # neither word was corrected: without clusters the CRF cannot tell them apart ...
    assert abs(p_entity(a, "quelp") - p_entity(a, "zorp")) < 0.01
    # ... with them, the word used like the cell words is far likelier an entity
    assert p_entity(b, "quelp") > p_entity(b, "zorp") + 0.1
    assert p_entity(b, "zorp") < p_entity(a, "zorp")


def test_learn_model_train_workers_give_the_same_model(
    run_cli, trained: ModelCard, train_docs: list[Document], tmp_path: Path
) -> None:
    """``--workers 2`` fits the folds and the final CRF in spawned processes: same files."""
    data = tmp_path / "train.jsonl"
    write_jsonl((document_to_record(d) for d in train_docs), data)
    r = run_cli("train", "--data", str(data), "--name", "proj", "--models-dir",
                str(tmp_path / "models"), "--folds", "3", "--workers", "2")  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    card = json.loads(r.stdout)
    assert card["extra"]["seconds"]["workers"] == 2
    vdir = tmp_path / "models" / card["name"] / card["version"]
    for name in ("crf.crfsuite", "terms.tsv", "exclusions.tsv", "policy.json"):
        assert (vdir / name).read_bytes() == (Path(trained.path) / name).read_bytes(), name
    assert card["metrics"] == json.loads((Path(trained.path) / "model.json").read_text())["metrics"]
