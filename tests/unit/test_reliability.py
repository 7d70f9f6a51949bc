"""Big and bad input in the library (issue 11): JSONL rules, size limits, strict JSON,
backups and temp files, the registry and version claims, batched detection, linear rules."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from annotkit.annotate.abbrev import short_form_occurrences, short_form_occurrences_many
from annotkit.config import Settings
from annotkit.doc import Document
from annotkit.errors import ConfigError, InputError, TrainingError
from annotkit.io import (
    Backups,
    atomic_output,
    atomic_writer,
    make_temp_dir,
    read_documents,
    read_jsonl_records,
    write_jsonl,
)
from annotkit.models import ModelCard, get_model, list_models, promote, promoted_model

SEPARATORS = "a\u2028b\u2029c\x85d\r\ne\x0bf\x0cg\x1ch"


# --------------------------------------------------------------------------- JSONL rules
def test_reliability_line_separators_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    write_jsonl([{"id": "a", "text": SEPARATORS}, {"id": "b", "text": "x"}], out)
    raw = out.read_bytes()
    assert raw.count(b"\n") == 2 and "\u2028".encode() not in raw and b"\xc2\x85" not in raw
    assert [r["text"] for _, r in read_jsonl_records(out)] == [SEPARATORS, "x"]
    assert len(raw.decode("utf-8").splitlines()) == 2  # other tools see two lines too


def test_reliability_raw_separators_from_other_writers_stay_in_their_line(tmp_path: Path) -> None:
    path = tmp_path / "other.jsonl"
    path.write_bytes(json.dumps({"id": "a", "text": SEPARATORS}, ensure_ascii=False).encode())
    docs = list(read_documents([str(path)]))
    assert [d.text for d in docs] == [SEPARATORS]


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "a", "text": "x", "n": NaN}',
        '{"id": "a", "text": "x", "n": -Infinity}',
        '{"id": "a", "text": "x", "n": 1e400}',
        '{"id": "a", "text": "x", "n": ' + "9" * 5000 + "}",
        '{"id": "a", "text": "\\udc00 x"}',
        '{"id": "a", "text": "x", "text": "y"}',
        '{"id": "a", "text": "x", "spans": [{"start": 0, "start": 1}]}',
        "[" * 50_000 + "]" * 50_000,
    ],
)
def test_reliability_json_that_cannot_round_trip_is_an_error(tmp_path: Path, line: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "ok", "text": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        list(read_jsonl_records(path))
    assert info.value.source == f"{path}:2"


def test_reliability_surrogate_pair_escape_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "a", "text": "\\ud83d\\ude00 MSCs"}\n', encoding="utf-8")
    assert [d.text for d in read_documents([str(path)])] == ["\U0001f600 MSCs"]


# --------------------------------------------------------------------------- size limits
def test_reliability_long_line_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"id": "a", "text": "short"}\n')
        fh.write(json.dumps({"id": "b", "text": "MSCs " * 4_000_000}) + "\n")  # 20 MB line
        fh.write('{"id": "c", "text": "after"}\n')
    with pytest.raises(InputError) as info:
        list(read_documents([str(path)], max_chars=1000))
    assert info.value.source == f"{path}:2"
    from annotkit.io import ReadReport

    report = ReadReport()
    tracemalloc.start()
    docs = list(read_documents([str(path)], max_chars=1000, skip_errors=True, report=report))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [d.id for d in docs] == ["a", "c"] and report.skipped == 1
    assert peak < 4_000_000, f"reading past a 20 MB line held {peak:,} bytes"


@pytest.mark.parametrize(
    ("limit", "kept"),
    [(3, [b"ab\n", 11, 9, b"\n", b"xyz"]), (10, [b"ab\n", 11, b"abcdefgh\n", b"\n", b"xyz"]),
     (11, [b"ab\n", b"abcdefghij\n", b"abcdefgh\n", b"\n", b"xyz"])],
)  # fmt: skip
def test_reliability_bounded_lines_across_chunks(
    monkeypatch: pytest.MonkeyPatch, limit: int, kept: list[object]
) -> None:
    import io

    import annotkit.io as aio

    monkeypatch.setattr(aio, "_CHUNK", 4)  # lines span several reads
    got = aio._bounded_lines(io.BytesIO(b"ab\nabcdefghij\nabcdefgh\n\nxyz"), limit)
    assert [x.size if isinstance(x, aio._LongLine) else x for x in got] == kept


def test_reliability_document_limit_counts_characters(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("骨髓" * 300, encoding="utf-8")  # 600 chars, 1800 bytes
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "b", "text": "x" * 601}) + "\n")
    assert len(next(iter(read_documents([str(tmp_path / "a.txt")], max_chars=600))).text) == 600
    for name in ("a.txt", "b.jsonl"):
        with pytest.raises(InputError, match="ANNOTKIT_MAX_DOCUMENT_CHARS"):
            list(read_documents([str(tmp_path / name)], max_chars=599 if name == "a.txt" else 600))
    assert len(list(read_documents([str(tmp_path)], max_chars=0))) == 2  # 0: no limit


def test_reliability_limit_default_from_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.txt").write_text("MSCs " * 100)
    monkeypatch.setenv("ANNOTKIT_MAX_DOCUMENT_CHARS", "100")
    with pytest.raises(InputError, match="over the limit of 100 characters"):
        list(read_documents([str(tmp_path / "a.txt")]))


@pytest.mark.parametrize(
    ("raw", "value"), [("20M", 20_000_000), ("500k", 500_000), ("0", 0), ("1_000", 1000)]
)
def test_reliability_max_document_chars_setting(raw: str, value: int) -> None:
    assert Settings.load(environ={"ANNOTKIT_MAX_DOCUMENT_CHARS": raw}).max_document_chars == value


@pytest.mark.parametrize("raw", ["lots", "-1", "1.5", "inf", "nan", "2.5k5"])
def test_reliability_max_document_chars_rejects(raw: str) -> None:
    with pytest.raises(ConfigError, match="ANNOTKIT_MAX_DOCUMENT_CHARS"):
        Settings.load(environ={"ANNOTKIT_MAX_DOCUMENT_CHARS": raw})


def test_reliability_max_document_chars_from_toml(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("max_document_chars = 1234\n")
    assert Settings.load(environ={"ANNOTKIT_CONFIG": str(cfg)}).max_document_chars == 1234


# --------------------------------------------------------------------------- inputs
def test_reliability_fifo_input(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = subprocess.Popen(
        [sys.executable, "-c", f"open({str(fifo)!r}, 'w').write('5 mL MSCs')"]
    )
    docs = list(read_documents([str(fifo)]))
    writer.wait(timeout=30)
    assert [(d.id, d.text) for d in docs] == [("pipe", "5 mL MSCs")]


def test_reliability_read_failure_names_the_file_and_skip_goes_on(tmp_path: Path) -> None:
    from annotkit.io import ReadReport

    bad = tmp_path / "bad.jsonl"
    bad.symlink_to("/proc/self/mem")  # open works, read fails with EIO
    ok = tmp_path / "ok.jsonl"
    ok.write_text('{"id": "a", "text": "x"}\n')
    with pytest.raises(InputError) as info:
        list(read_documents([str(bad)]))
    assert info.value.source == str(bad)
    report = ReadReport()
    assert len(list(read_documents([str(bad), str(ok)], skip_errors=True, report=report))) == 1
    assert report.skipped == 1


# --------------------------------------------------------------------------- outputs
def test_reliability_backup_only_when_content_changes(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("human\n")
    backups = Backups()
    with atomic_writer(out, backups=backups) as fh:
        fh.write("human\n")
    assert backups.kept == [] and list(tmp_path.iterdir()) == [out]
    with atomic_writer(out, backups=backups) as fh:
        fh.write("machine\n")
    [(target, backup)] = backups.kept
    assert target == out and backup.read_text() == "human\n" and out.read_text() == "machine\n"
    assert backup.name.startswith("o.jsonl.") and backup.suffix == ".bak"
    with atomic_writer(out) as fh:  # no Backups: replaced as before
        fh.write("again\n")
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_reliability_write_failure_is_an_input_error_naming_the_path() -> None:
    with pytest.raises(InputError) as info:
        write_jsonl([{"id": "a", "text": "x"}], "/dev/full")
    assert info.value.source == "/dev/full"


def test_reliability_failed_write_keeps_target_and_removes_temp(tmp_path: Path) -> None:
    out = tmp_path / "o.jsonl"
    out.write_text("old\n")

    def records():
        yield {"id": "a", "text": "x"}
        raise InputError("bad record", source="in.jsonl:2")

    with pytest.raises(InputError):
        write_jsonl(records(), out)
    assert out.read_text() == "old\n" and list(tmp_path.iterdir()) == [out]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_reliability_temp_files_and_folders_of_killed_runs_are_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    stale_file = tmp_path / f".out.jsonl.{dead}.x1.tmp"
    stale_file.write_text("partial")
    stale_dir = tmp_path / f".train.{dead}.x2.tmp"
    stale_dir.mkdir()
    (stale_dir / "train.json").write_text("[]")
    live = tmp_path / f".train.{os.getpid()}.x3.tmp"
    live.mkdir()
    with atomic_output(tmp_path / "out.jsonl") as tmp:
        tmp.write_text("new")
    assert not stale_file.exists()
    work = make_temp_dir(tmp_path / "train")
    assert not stale_dir.exists() and live.is_dir() and work.is_dir()
    assert work.name.startswith(f".train.{os.getpid()}.") and work.name.endswith(".tmp")


# --------------------------------------------------------------------------- models
def _model(root: Path, name: str, version: str) -> ModelCard:
    from annotkit.train import write_card

    vdir = root / name / version
    vdir.mkdir(parents=True)
    (vdir / "ner.pt").write_bytes(b"\0")
    card = ModelCard(
        name=name, version=version, path=str(vdir), labels=("DOSE",), languages={"en": 1},
        data={}, args=(), versions={}, created="2026-01-01T00:00:00Z",
    )  # fmt: skip
    write_card(card)
    return card


def test_reliability_promote_a_copied_model_folder_promotes_the_copy(tmp_path: Path) -> None:
    import shutil

    _model(tmp_path, "ner", "v1")
    shutil.copytree(tmp_path / "ner" / "v1", tmp_path / "ner" / "v2")  # card still says v1
    shutil.copytree(tmp_path / "ner" / "v1", tmp_path / "other" / "v7")
    assert [c.ref for c in list_models(tmp_path)] == ["ner/v1", "ner/v2", "other/v7"]
    assert promote("ner/v2", tmp_path).ref == "ner/v2"
    assert json.loads((tmp_path / "registry.json").read_text()) == {"promoted": "ner/v2"}
    assert promoted_model(tmp_path).path == str(tmp_path / "ner" / "v2")
    assert promote(str(tmp_path / "other" / "v7"), tmp_path).ref == "other/v7"
    assert promoted_model(tmp_path).path == str(tmp_path / "other" / "v7")
    assert get_model("other", tmp_path).ref == "other/v7"
    assert not list(tmp_path.glob(".*.tmp"))


def _claim(root: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from annotkit.train import _claim_version

    queue.put(_claim_version(Path(root), None).name)


def test_reliability_concurrent_version_claims_never_collide(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(str(tmp_path / "ner"), queue)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    got = sorted(queue.get(timeout=10) for _ in procs)
    assert got == sorted(f"v{i}" for i in range(1, 7))


def test_reliability_explicit_version_taken_is_an_error(tmp_path: Path) -> None:
    from annotkit.train import _claim_version

    assert _claim_version(tmp_path / "ner", "v3").name == "v3"
    with pytest.raises(TrainingError, match="already exists"):
        _claim_version(tmp_path / "ner", "v3")
    assert _claim_version(tmp_path / "ner", None).name == "v4"


def test_reliability_version_folder_commits_on_success_and_cleans_up_on_failure(
    tmp_path: Path,
) -> None:
    from annotkit.train import version_folder

    root = tmp_path / "ner"
    with version_folder(root, None) as (vdir, work):
        (work / "model.bin").write_text("x")
        assert vdir.name == "v1" and not any(vdir.iterdir())  # claimed, still empty
    assert (root / "v1" / "model.bin").read_text() == "x"
    with pytest.raises(RuntimeError), version_folder(root, None) as (vdir, work):
        (work / "half.bin").write_text("y")
        raise RuntimeError("training failed")
    assert sorted(p.name for p in root.iterdir()) == ["v1"]  # no v2, no work folder left


def test_reliability_learned_train_claims_its_version_like_stanza_train(tmp_path: Path) -> None:
    from annotkit.io import read_documents
    from annotkit.learn.trainer import train_learned

    docs = list(read_documents(["annotations/gold/seeds.jsonl"]))
    (tmp_path / "ner" / "v1").mkdir(parents=True)  # another run's claim, not finished yet
    card = train_learned(docs, name="ner", models_dir=tmp_path, stanza=False)
    assert card.version == "v2" and (tmp_path / "ner" / "v2" / "model.json").is_file()
    with pytest.raises(TrainingError, match="already exists"):
        train_learned(docs, name="ner", version="v2", models_dir=tmp_path, stanza=False)
    assert sorted(p.name for p in (tmp_path / "ner").iterdir()) == ["v1", "v2"]


# --------------------------------------------------------------------------- linear stages
def test_reliability_detect_in_small_batches_gives_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import annotkit.langid as langid

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    text = "\n".join(p.read_text("utf-8") for p in sorted(seeds.glob("*.txt")))
    doc = Document("d", text)
    whole = langid.detect(doc)
    monkeypatch.setattr(langid, "_RESOLVE_BATCH", 3)
    monkeypatch.setattr(langid, "_PICK_CELLS", 8)
    batched = langid.detect(doc)
    assert replace(batched, meta={}) == replace(whole, meta={})
    assert batched.sentences == whole.sentences and batched.segments == whole.segments


def test_reliability_short_forms_in_one_pass_match_one_by_one() -> None:
    rng = random.Random(11)
    alphabet = ["MSC", "MSCs", "BM", "BM-MSC", "hMSC", "T", "Ts", "IL-6", "αSMA", "间充质", " ",
                " ", "(", ")", "-", "/", "x", "9", ",", "s"]  # fmt: skip
    forms = ["MSC", "MSCs", "BM", "BM-MSC", "T", "IL-6", "αSMA", "间充质", "Ts", "S"]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        sfs = rng.sample(forms, rng.randint(1, len(forms)))
        many = short_form_occurrences_many(text, sfs)
        assert many == {sf: short_form_occurrences(text, sf) for sf in sfs}, (text, sfs)


def test_reliability_stop_check_matches_the_plain_scan() -> None:
    from annotkit.annotate.rules import _Cand, _inside_stop

    def plain(c: _Cand, stops: list[tuple[int, int]]) -> bool:
        return any(
            c.start < e and s < c.end and not (c.start <= s and e <= c.end) for s, e in stops
        )

    rng = random.Random(5)
    for _ in range(200):
        stops, pos = [], 0
        while pos < 200:  # non-overlapping and sorted, as Lexicon.scan returns them
            pos += rng.randint(0, 8)
            length = rng.randint(1, 6)
            stops.append((pos, pos + length))
            pos += length
        ends = [e for _, e in stops]
        for _ in range(30):
            s = rng.randint(0, 210)
            c = _Cand(s, s + rng.randint(1, 20), "CELL_TYPE", "rule")
            assert _inside_stop(c, stops, ends) == plain(c, stops)


def test_reliability_learned_train_skips_stanza_unless_the_policy_can_use_it(
    tmp_path: Path,
) -> None:
    from annotkit.io import read_documents
    from annotkit.learn.trainer import train_learned

    docs = list(read_documents(["annotations/gold/seeds.jsonl"]))
    card = train_learned(docs, name="ner", models_dir=tmp_path)  # the default: no stanza
    assert not (Path(card.path) / "ner.pt").exists()
    assert card.extra["stanza"]["trained"] is False and card.args == ()
    # an unlabelled corpus alone gives the CRF its word clusters; stanza stays untrained
    with_corpus = train_learned(docs, name="ner", models_dir=tmp_path, corpus=docs)
    made = {p.name for p in Path(with_corpus.path).iterdir()}
    assert "clusters.tsv" in made and not {"ner.pt", "pretrain.pt"} & made
    assert with_corpus.extra["clusters"]["corpus_documents"] == len(docs)
    with pytest.raises(TrainingError, match="stanza_cv needs the stanza tagger"):
        train_learned(docs, name="ner", models_dir=tmp_path, stanza=False, stanza_cv=True)
    assert sorted(p.name for p in (tmp_path / "ner").iterdir()) == ["v1", "v2"]  # none claimed
