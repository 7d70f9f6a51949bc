"""Project terms and context exclusions learned from corrections (annotkit.learn.vocab)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from annotkit.annotate.lexicon import default_lexicon_paths, load_lexicon
from annotkit.annotate.rules import annotate_text
from annotkit.doc import Document, Span
from annotkit.learn.vocab import Exclusion, Term, Vocabulary, learn_vocabulary

MINI = Path(__file__).resolve().parent.parent / "data" / "lexicon" / "mini.tsv"


def _doc(doc_id: str, text: str, *marks: tuple[str, str]) -> Document:
    spans = []
    for surface, label in marks:
        i = text.index(surface)
        spans.append(Span(i, i + len(surface), label))
    return Document(doc_id, text, spans=tuple(sorted(spans, key=lambda s: s.start)))


def test_learn_vocab_added_and_kept_terms_with_canonical_ids() -> None:
    lex = load_lexicon([MINI])
    docs = [
        _doc("a", "We gave florbix and MSCs.", ("florbix", "CELL_TYPE"), ("MSCs", "CELL_TYPE")),
        _doc("b", "More florbix today.", ("florbix", "CELL_TYPE")),
    ]
    proposals = [(Span(20, 24, "CELL_TYPE", norm={"id": "cell:msc"}),), ()]
    vocab = learn_vocabulary(docs, proposals, lexicon=lex)
    by_term = {t.term: t for t in vocab.terms}
    assert by_term["florbix"] == Term("CELL_TYPE", "florbix", "name",
                                      "project:cell_type:florbix", "en", 2, 2, 2)  # fmt: skip
    assert by_term["MSCs"].concept_id == "cell:msc" and by_term["MSCs"].kind == "abbr"
    assert by_term["MSCs"].added == 0


def test_learn_vocab_a_term_mostly_left_unannotated_is_not_learned() -> None:
    docs = [
        _doc("a", "the graft took; the graft held; the graft failed", ("graft", "CELL_TYPE")),
    ]
    assert learn_vocabulary(docs, [()]).terms == ()


def test_learn_vocab_deletions_become_context_exclusions() -> None:
    text = "升血小板胶囊 and 血小板 count"
    i, j = text.index("血小板"), text.rindex("血小板")
    doc = Document("d", text, spans=(Span(j, j + 3, "CELL_TYPE"),))
    props = (Span(i, i + 3, "CELL_TYPE"), Span(j, j + 3, "CELL_TYPE"))
    vocab = learn_vocabulary([doc], [props])
    assert Exclusion("CELL_TYPE", "血小板", "left", "升", 1, 0) in vocab.exclusions
    assert Exclusion("CELL_TYPE", "血小板", "right", "胶", 1, 0) in vocab.exclusions
    new = "服用升血小板胶囊后血小板升高"
    a, b = new.index("血小板"), new.rindex("血小板")
    kept = vocab.filter(new, (Span(a, a + 3, "CELL_TYPE"), Span(b, b + 3, "CELL_TYPE")))
    assert kept == (Span(b, b + 3, "CELL_TYPE"),)


def test_learn_vocab_boundary_changes_are_not_deletions() -> None:
    doc = _doc("d", "lower motor neurons", ("lower motor neurons", "CELL_TYPE"))
    vocab = learn_vocabulary([doc], [(Span(6, 19, "CELL_TYPE"),)])
    assert vocab.exclusions == ()


def test_learn_vocab_everywhere_exclusion_after_two_deletions_never_kept() -> None:
    docs = [Document("a", "EPIC MSC trial"), Document("b", "the EPIC MSC arm")]
    props = [(Span(0, 8, "CELL_TYPE"),), (Span(4, 12, "CELL_TYPE"),)]
    vocab = learn_vocabulary(docs, props)
    assert any(e.side == "*" and e.term == "epic msc" for e in vocab.exclusions)


def test_learn_vocab_round_trip_and_lexicon_without_touching_packaged_files(
    tmp_path: Path,
) -> None:
    before = {p: hashlib.sha1(p.read_bytes()).hexdigest() for p in default_lexicon_paths()}
    vocab = Vocabulary(
        (Term("CELL_TYPE", "zQXCs", "abbr", "project:cell_type:zqxcs", "en", 3, 3, 3),),
        (Exclusion("CELL_TYPE", "msc", "right", "hotline", 2, 0),),
    )
    vocab.write(tmp_path)
    assert Vocabulary.read(tmp_path) == vocab
    spans = annotate_text("Injected zQXCs today.", lexicon=vocab.lexicon())
    assert [(s.label, s.norm) for s in spans] == [("CELL_TYPE", {"id": "project:cell_type:zqxcs"})]
    assert annotate_text("Injected zQXCs today.") == ()
    after = {p: hashlib.sha1(p.read_bytes()).hexdigest() for p in default_lexicon_paths()}
    assert before == after
    assert Vocabulary.read(tmp_path / "missing") == Vocabulary()
