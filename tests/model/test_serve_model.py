"""A promoted model changes what ``annotkit serve`` answers, without a restart.

Trains a real tiny stanza model on sentences that score an invented instrument ("QZRT", no
rule knows it), starts the service with the default engine (rules while nothing is
promoted), promotes the model and checks the answers now carry its span.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import requests

from annotkit.doc import Document, Span
from annotkit.models import promote
from annotkit.train import train_model

pytestmark = pytest.mark.model

TEXT = "Stiffness was assessed on QZRT in 5 mL MSCs recipients."


def _scale_docs(n: int = 40) -> list[Document]:
    rnd = random.Random(3)
    subjects = ["Pain", "Function", "Fatigue", "Mood", "Sleep quality", "Mobility"]
    verbs = ["was rated with", "was measured on", "improved on", "was scored by", "declined on"]
    docs = []
    for i in range(n):
        text = f"{rnd.choice(subjects)} {rnd.choice(verbs)} QZRT after {rnd.randint(2, 12)} weeks."
        at = text.index("QZRT")
        docs.append(Document(f"d{i}", text, spans=(Span(at, at + 4, "SCALE"),)))
    return docs


def test_serve_promoted_model_changes_the_answers(
    start_service: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    models = tmp_path_factory.mktemp("models")
    card = train_model(_scale_docs(), name="qzrt", models_dir=models, max_steps=120, seed=7)
    service = start_service(models_dir=Path(models))
    before = service.post({"text": TEXT})
    assert before.status_code == 200 and before.json()["engine"] == "rules"
    assert "QZRT" not in [s["text"] for s in before.json()["spans"]]

    promote(card.ref, models_dir=models)
    after = service.post({"text": TEXT})
    assert after.status_code == 200, after.text
    body = after.json()
    assert (body["engine"], body["model"]) == ("ensemble", "qzrt/v1")
    spans = {(s["text"], s["label"], s["source"]) for s in body["spans"]}
    assert ("QZRT", "SCALE", "model:qzrt/v1") in spans
    rules = {(s["text"], s["label"], s["source"]) for s in before.json()["spans"]}
    assert rules < spans  # the rules' spans stay; the model only adds
    health = requests.get(f"{service.url}/health", timeout=30).json()
    assert (health["engine"], health["model"]) == ("ensemble", "qzrt/v1")
