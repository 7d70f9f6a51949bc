"""The dataset card (``README.md``) of an NER export: what the files are, how they were made,
counts per split, splits not written and why, spans the format could not place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["FORMAT_NOTES", "ner_card"]

_CONLL = (
    "plain CoNLL-2003: `token -X- _ TAG` per line, {scheme} tags, a blank line after each "
    "sentence, `-DOCSTART- -X- O O` and a blank line before each document, no comment lines. "
    "`python -m spacy convert FILE OUT -c ner` reads it as is; it is the layout (token first, tag "
    "last, `-DOCSTART-` lines) that seqeval- and flair-based CoNLL readers expect. "
    "For an exact re-import (text and offsets) export `conll-annotated`."
)

#: format -> what its files hold, for the card
FORMAT_NOTES: dict[str, str] = {
    "jsonl": "the annotkit record (`annotkit.record.v1`, docs/record.md): `id`, `text`, `label` "
    "([start, end, LABEL] in code points, the truth for spans), `spans` (details), the stage "
    "outputs and `meta`. Every annotkit command reads it.",
    "conll": _CONLL.format(scheme="BIO"),
    "conll-bioes": _CONLL.format(scheme="BIOES"),
    "conll-annotated": "CoNLL-2003 lines `token -X- _ TAG` (BIO), `-DOCSTART- -X- O O` before "
    "each document, plus `# doc_id`, `# meta`, `# gaps` (JSON list: the exact text before each "
    "token) and `# tail` comment lines: `annotkit.export.read_conll` rebuilds the text as "
    "gap+token+…+tail, so text, offsets and spans come back exactly. Other tools may reject "
    "the comment lines: give them `conll`.",
    "stanza": 'stanza NER JSON: a list of sentences, each a list of `{"text", "ner"}` tokens, '
    "BIOES tags (input for `python -m stanza.models.ner_tagger`).",
    "hf": "Hugging Face `datasets`: `datasets.load_dataset(<this folder>)` loads it as is (split "
    "files and features in this card's YAML header; `dev` is the `validation` split, `all` the "
    "`train` split). One sentence per line: `tokens`, `ner_tags` (a `ClassLabel` sequence, BIO; "
    "the names also in `labels.json`), `offsets` (code points into the document), `id`, "
    "`doc_id`, `lang`.",
    "spacy": "spaCy `DocBin` (`.spacy`) for `spacy train` (`--paths.train train.spacy "
    "--paths.dev dev.spacy`). Tokens are spaCy's blank-pipeline tokens (`en` for Latin-script "
    "sentences, `zh` with the character segmenter for Chinese); entities are placed with "
    "`Doc.char_span`; the document id is in `doc.user_data['annotkit_id']`.",
    "prodigy": "Prodigy NER tasks: `text`, `tokens` (`text`, `start`, `end`, `id`, `ws`), "
    "`spans` (`start`, `end`, `label`, `token_start`, `token_end`), `answer`, `meta`, `id`; "
    "load with `prodigy db-in DATASET FILE`. annotkit reads it back as is.",
    "doccano": "doccano sequence-labelling JSONL import (Dataset > Import > JSONL): `text`, "
    "`label` ([start, end, LABEL] in {offsets}), `annotkit_id`, `annotkit_hash`, `annotkit_pre` "
    "(the spans as exported, in code points, for `annotkit doccano pull`) and `annotkit_meta` "
    "(the document's `meta`), on every line. Re-import in code points: "
    "`annotkit.export.read_doccano`.",
    "csv": "span table: `doc_id, lang, start, end, label, text, norm` (norm as JSON), one row "
    "per span; `lang` = language of the sentence holding the span.",
}
FORMAT_NOTES["parquet"] = FORMAT_NOTES["csv"].replace("(norm as JSON)", "(norm as JSON text)")


def _split_text(shares: Sequence[float] | None) -> str:
    if not shares:
        return "none (one `all` split)"
    return (
        "/".join(f"{s:g}" for s in shares)
        + " by SHA-1 of each document's group id (a document and its translation, linked by "
        "`meta.translation_of` or a shared `meta.group`, share a split; mixed-language "
        "documents are one unit); deterministic; whole groups are moved so that no split "
        "with a share is empty while there are enough groups"
    )


def _table(title: str, splits: Mapping[str, Mapping[str, Any]], key: str) -> list[str]:
    cols = sorted({c for s in splits.values() for c in s[key]})
    lines = ["", f"## {title}", "", "| split | " + " | ".join(cols) + " |"]
    lines.append("|---|" + "---|" * len(cols))
    for name, c in splits.items():
        lines.append(f"| {name} | " + " | ".join(str(c[key].get(x, 0)) for x in cols) + " |")
    return lines


def ner_card(summary: Mapping[str, Any], *, front_matter: str = "") -> str:
    """The card's Markdown for an :func:`annotkit.export.export_ner` summary."""
    fmt = summary["format"]
    splits: Mapping[str, Mapping[str, Any]] = summary["splits"]
    note = FORMAT_NOTES[fmt].replace("{offsets}", summary.get("doccano_offsets", "utf16"))
    lines = [
        front_matter + f"# NER dataset ({fmt})",
        "",
        "Exported by `annotkit export`. Labels follow the project's annotation guidelines "
        "(CELL_TYPE, DOSE, SCALE).",
        "",
        f"- format: {note}",
        f"- tokens (counts below, token formats): annotkit.segment.tokenize (Chinese per "
        f"{summary['zh_tokens']}), split at span edges so every span is whole tokens",
        f"- tag scheme (token formats): {summary['scheme'].upper()}",
        f"- split: {_split_text(summary['split'])}",
        f"- sources: {', '.join(summary['sources']) or '(in-memory documents)'}",
        f"- files: {', '.join(summary['files'])}",
        "",
        "## Counts per split",
        "",
        "| split | documents | sentences | tokens | spans |",
        "|---|---|---|---|---|",
    ]
    for name, c in splits.items():
        lines.append(
            f"| {name} | {c['documents']} | {c['sentences']} | {c['tokens']} | {c['spans']} |"
        )
    lines += _table("Spans per label", splits, "labels")
    lines += _table("Documents per language", splits, "languages")
    left_out: Mapping[str, str] = summary["left_out"]
    if left_out:
        lines += ["", "## Splits not written", ""]
        lines += [f"- `{name}`: {why}" for name, why in left_out.items()]
    misaligned: Sequence[Mapping[str, Any]] = summary["misaligned"]
    if fmt == "spacy":
        lines += ["", "## Spans not on spaCy token edges", ""]
        if not misaligned:
            lines.append(f"None: every span is an entity ({summary['alignment']} alignment).")
        else:
            lines.append(
                f"{len(misaligned)} span(s) ({summary['alignment']} alignment): tokens marked "
                "missing (`-`), or the span snapped to the tokens shown."
            )
            lines += [
                "",
                "| document | label | start | end | text | written as |",
                "|---|---|---|---|---|---|",
            ]
            for m in misaligned:
                snapped = m["snapped"]
                shown = f"[{snapped[0]}, {snapped[1]})" if snapped else "missing"
                text = str(m["text"]).replace("|", "\\|").replace("\n", " ")
                lines.append(
                    f"| {m['doc_id']} | {m['label']} | {m['start']} | {m['end']} | {text} | "
                    f"{shown} |"
                )
    lines.append("")
    return "\n".join(lines)
