"""Train a tiny stanza NER model inside the test session, then load, predict, evaluate, promote.

Real stanza training (``python -m stanza.models.ner_tagger``, CPU, a few hundred steps on
tests/data/ner_tiny.jsonl); the model is loaded offline through ``stanza.Pipeline`` with
``tokenize_pretokenized`` and ``ner_model_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from annotkit.annotate.ner import load_ner_model
from annotkit.doc import Document
from annotkit.errors import ModelNotFoundError, TrainingError
from annotkit.evaluate import evaluate
from annotkit.io import read_documents
from annotkit.models import ModelCard, list_models, promote, promoted_model
from annotkit.tags import tag_document
from annotkit.train import train_model

pytestmark = pytest.mark.model

TINY = Path(__file__).resolve().parent.parent / "data" / "ner_tiny.jsonl"
STEPS = 160


@pytest.fixture(scope="module")
def docs() -> list[Document]:
    return list(read_documents([str(TINY)]))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, docs: list[Document]) -> ModelCard:
    root = tmp_path_factory.mktemp("models")
    return train_model(docs, name="tiny", models_dir=root, max_steps=STEPS, seed=7)


def test_model_folder_and_card(trained: ModelCard, docs: list[Document]) -> None:
    vdir = Path(trained.path)
    assert trained.ref == "tiny/v1"
    assert {p.name for p in vdir.iterdir()} == {"ner.pt", "resources.json", "model.json",
                                                "README.md"}  # fmt: skip
    assert vdir.stat().st_size and (vdir / "ner.pt").stat().st_size < 20_000_000
    card = json.loads((vdir / "model.json").read_text("utf-8"))
    assert card["labels"] == ["CELL_TYPE", "DOSE", "SCALE"]
    assert set(card["languages"]) >= {"en", "zh"}
    assert card["data"]["train_documents"] + card["data"]["dev_documents"] == len(docs)
    assert len(card["data"]["sha1"]) == 40 and "--no_pretrain" in card["args"]
    assert card["versions"]["stanza"] and card["versions"]["torch"]
    for mode in ("strict", "lenient"):
        assert set(card["metrics"][mode]["per_label"]) == {"CELL_TYPE", "DOSE", "SCALE"}
    dev = set(card["dev_docs"])
    assert dev and all(d.meta.get("translation_of") not in dev or d.id in dev for d in docs)
    readme = (vdir / "README.md").read_text("utf-8")
    assert "strict F1" in readme and trained.data["sha1"] in readme


def test_model_every_listed_model_has_a_card(trained: ModelCard) -> None:
    root = Path(trained.path).parent.parent
    for card in list_models(root):
        assert (Path(card.path) / "model.json").is_file()
        assert (Path(card.path) / "README.md").is_file()


def test_model_loads_offline_through_stanza_pipeline(trained: ModelCard) -> None:
    import stanza

    nlp = stanza.Pipeline(
        "en", dir=trained.path, processors="tokenize,ner", tokenize_pretokenized=True,
        ner_model_path=str(Path(trained.path) / "ner.pt"), download_method=None,
        use_gpu=False, logging_level="WARN",
    )  # fmt: skip
    out = nlp([["We", "injected", "10", "million", "MSCs", "."], list("注射间充质干细胞")])
    tags = [t.ner for s in out.sentences for t in s.tokens]
    assert len(tags) == 14
    allowed = {"O"} | {f"{p}-{lab}" for p in "BIES" for lab in trained.labels}
    assert set(tags) <= allowed and set(tags) != {"O"}


def test_model_predict_and_evaluate(trained: ModelCard, docs: list[Document]) -> None:
    model = load_ner_model(trained.path)
    assert load_ner_model(trained.path) == model
    preds = model.predict_many(docs)
    for doc, spans in zip(docs, preds, strict=True):
        for s in spans:
            surface = doc.text_of(s)
            assert surface and surface == surface.strip() and s.source == "model:tiny/v1"
        assert list(spans) == sorted(spans, key=lambda s: (s.start, s.end))
    pred_docs = [Document(d.id, d.text, spans=p) for d, p in zip(docs, preds, strict=True)]
    result = evaluate(docs, pred_docs)
    # the training documents are mostly memorised after STEPS steps
    assert result["lenient"]["micro"]["f1"] >= 0.6, result["lenient"]["micro"]
    assert model.predict(docs[0]) == preds[0]


def test_model_tags_use_the_training_tokenisation(trained: ModelCard, docs: list[Document]) -> None:
    model = load_ner_model(trained.path)
    doc = docs[0]
    sents, _ = tag_document(doc)
    for span in model.predict(doc):
        starts = {a for s in sents for a, _ in s.tokens}
        ends = {b for s in sents for _, b in s.tokens}
        assert span.start in starts and span.end in ends


def test_model_promote_and_default(trained: ModelCard, monkeypatch: pytest.MonkeyPatch) -> None:
    root = Path(trained.path).parent.parent
    monkeypatch.setenv("ANNOTKIT_MODELS_DIR", str(root))
    promote(trained.ref)
    assert promoted_model().ref == trained.ref
    assert load_ner_model().ref == trained.ref
    assert load_ner_model("tiny").path == str(Path(trained.path).resolve())


def test_model_training_is_deterministic(
    trained: ModelCard, docs: list[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = Path(trained.path).parent.parent
    # a relative models folder must work too (stanza trains in another working directory)
    monkeypatch.chdir(root.parent)
    again = train_model(docs, name="tiny", models_dir=root.name, max_steps=STEPS, seed=7)
    assert again.ref == "tiny/v2" and again.data["sha1"] == trained.data["sha1"]
    assert again.dev_docs == trained.dev_docs
    a, b = load_ner_model(trained.path), load_ner_model(again.path)
    assert [[(s.start, s.end, s.label) for s in x] for x in a.predict_many(docs)] == [
        [(s.start, s.end, s.label) for s in x] for x in b.predict_many(docs)
    ]


def test_model_errors(tmp_path: Path, docs: list[Document]) -> None:
    with pytest.raises(ModelNotFoundError, match="promote"):
        promoted_model(tmp_path)
    with pytest.raises(TrainingError):
        train_model([Document(d.id, d.text) for d in docs], name="x", models_dir=tmp_path)
    with pytest.raises(TrainingError):
        train_model(docs[:1], name="x", models_dir=tmp_path)
    with pytest.raises(ModelNotFoundError):
        train_model(docs, name="x", models_dir=tmp_path, finetune_from=tmp_path / "none.pt")
    assert not any(tmp_path.iterdir()) or not list_models(tmp_path)
