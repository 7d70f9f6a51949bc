"""The service's parts without a socket: token file, request parsing, answers, engine state."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from annotkit.doc import Document, Span
from annotkit.errors import ConfigError, InputError, ModelNotFoundError
from annotkit.offsets import grapheme_boundaries
from annotkit.serve.annotator import Annotator
from annotkit.serve.app import AnnotateRequest, answer
from annotkit.serve.token import ensure_token, read_token, token_path


def test_serve_token_created_once_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = ensure_token(home)
    path = token_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(token) >= 32 and ensure_token(home) == token == read_token(home)
    assert [p.name for p in home.iterdir()] == ["serve.token"]  # no temporary file left


def test_serve_token_concurrent_first_start_agrees(tmp_path: Path) -> None:
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(ensure_token(tmp_path))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1


def test_serve_token_refuses_exposed_or_foreign_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="start the service once"):
        read_token(tmp_path)
    ensure_token(tmp_path)
    token_path(tmp_path).chmod(0o644)
    with pytest.raises(ConfigError, match="other users"):
        ensure_token(tmp_path)
    token_path(tmp_path).write_text("short\n")
    token_path(tmp_path).chmod(0o600)
    with pytest.raises(ConfigError, match="not a token"):
        read_token(tmp_path)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"text": 3},
        {"texts": "abc"},
        {"texts": ["a", 2]},
        {"text": "a", "texts": ["b"]},
        {},
        {"text": "a", "colour": "red"},
        {"text": "a", "units": "bytes"},
        {"text": "a", "project": 5},
        {"texts": ["a"] * 1001},
    ],
)
def test_serve_request_rejects_bad_shapes(body: object) -> None:
    with pytest.raises(InputError):
        AnnotateRequest.parse(body, {})


def test_serve_request_options_from_query_or_body() -> None:
    req = AnnotateRequest.parse({"texts": ["a", "b"]}, {"units": "grapheme", "project": "p"})
    assert (req.texts, req.batch, req.units, req.project) == (("a", "b"), True, "grapheme", "p")
    req = AnnotateRequest.parse({"text": "a", "units": "codepoint"}, {})
    assert (req.texts, req.batch, req.units, req.project) == (("a",), False, "codepoint", None)
    with pytest.raises(InputError, match="give it once"):
        AnnotateRequest.parse({"text": "a", "project": "x"}, {"project": "y"})


def _utf16_slice(text: str, start: int, end: int) -> str:
    return text.encode("utf-16-le")[2 * start : 2 * end].decode("utf-16-le")


def test_serve_answer_units_select_the_same_text(tricky_doc: Document) -> None:
    text = tricky_doc.text
    utf16, kept = answer(tricky_doc, "utf16")
    assert kept == list(tricky_doc.spans) and utf16["skipped"] == []
    for item, span in zip(utf16["spans"], tricky_doc.spans, strict=True):
        surface = text[span.start : span.end]
        assert _utf16_slice(text, item["start_offset"], item["end_offset"]) == surface
        assert item["text"] == surface and item["label"] == span.label
    assert utf16["label"] == [
        [s["start_offset"], s["end_offset"], s["label"]] for s in utf16["spans"]
    ]
    clusters = grapheme_boundaries(text)
    grapheme, _ = answer(tricky_doc, "grapheme")
    for item in grapheme["spans"]:
        assert text[clusters[item["start_offset"]] : clusters[item["end_offset"]]] == item["text"]
    codepoint, _ = answer(tricky_doc, "codepoint")
    assert codepoint["label"] == [[s.start, s.end, s.label] for s in tricky_doc.spans]


def test_serve_answer_grapheme_skips_spans_inside_a_cluster() -> None:
    text = "cafe\u0301 MSCs"
    doc = Document("d", text, spans=(Span(0, 4, "CELL_TYPE"), Span(6, 10, "CELL_TYPE")))
    body, kept = answer(doc, "grapheme")
    assert [s.start for s in kept] == [6]
    assert body["label"] == [[5, 9, "CELL_TYPE"]]
    assert [(s["start"], s["end"], s["text"]) for s in body["skipped"]] == [(0, 4, "cafe")]
    assert answer(doc, "utf16")[0]["skipped"] == []


def test_serve_annotator_matches_annotate_and_is_deterministic(tmp_path: Path) -> None:
    from annotkit.annotate import preannotate
    from annotkit.pipeline import ensure

    text = "We injected 87 million MSCs.\r\n疼痛采用视觉模拟评分（VAS）评估。 😀"
    annotator = Annotator(engine="auto", models_dir=tmp_path / "models")
    state, docs = annotator.annotate([text, "", text])
    assert (state.engine, state.model) == ("rules", None)
    expected = preannotate(ensure(Document("x", text), "annotate"))
    assert docs[0].spans == expected.spans and docs[2].spans == expected.spans
    assert docs[1].spans == () and docs[0].spans
    assert all(s.status == "suggested" for s in docs[0].spans)


def _fake_promotion(models: Path) -> None:
    """A promoted model whose weights are not a model: loading it must fail clearly."""
    vdir = models / "broken" / "v1"
    vdir.mkdir(parents=True)
    card = {"name": "broken", "version": "v1", "labels": ["SCALE"]}
    (vdir / "model.json").write_text(json.dumps(card))
    (vdir / "ner.pt").write_bytes(b"not a torch file")
    (models / "registry.json").write_text(json.dumps({"promoted": "broken/v1"}))


def test_serve_annotator_follows_the_registry_without_restart(tmp_path: Path) -> None:
    models = tmp_path / "models"
    annotator = Annotator(engine="auto", models_dir=models)
    assert annotator.state().engine == "rules"
    _fake_promotion(models)
    with pytest.raises(ModelNotFoundError, match="broken/v1"):
        annotator.state()
    with pytest.raises(ModelNotFoundError, match="broken/v1"):  # same error, not retried
        annotator.annotate(["MSCs"])
    (models / "registry.json").unlink()
    assert annotator.state().engine == "rules"
    assert Annotator(engine="rules", models_dir=models).state().engine == "rules"


def test_serve_annotator_model_engine_needs_a_promoted_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="promote"):
        Annotator(engine="model", models_dir=tmp_path).state()
    with pytest.raises(ConfigError, match="unknown engine"):
        Annotator(engine="magic", models_dir=tmp_path)
