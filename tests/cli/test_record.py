"""One record through every stage (issue 10), through the real console script."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SEED4 = REPO / "seeds" / "004_2ac9ad6098cbbf61.txt"
GOLD = REPO / "annotations" / "gold" / "seeds.jsonl"


def _lines(text: str) -> list[dict]:
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def test_issue10_detect_align_annotate_pipe_equals_one_command(run_cli) -> None:
    detected = run_cli("detect", str(SEED4), "--quiet")
    assert detected.returncode == 0, detected.stderr
    aligned = run_cli("align", "-", "--quiet", input=detected.stdout)
    assert aligned.returncode == 0, aligned.stderr
    piped = run_cli("annotate", "-", "--quiet", input=aligned.stdout)
    assert piped.returncode == 0, piped.stderr
    direct = run_cli("annotate", str(SEED4), "--quiet")
    (a,), (b,) = _lines(piped.stdout), _lines(direct.stdout)
    assert a["label"] == b["label"] and len(a["label"]) == 30
    assert a["pairs"] == b["pairs"] and len(a["pairs"][0]["sentences"]) == 17
    assert a["segments"] == _lines(detected.stdout)[0]["segments"]  # detection kept, not redone
    # and detect output goes straight into annotate (align is run once, by its owner)
    again = run_cli("annotate", "-", "--quiet", input=detected.stdout)
    assert _lines(again.stdout)[0]["label"] == b["label"]


def test_issue10_fields_pass_through_every_command(run_cli) -> None:
    rec = {"id": "x", "text": "Patients got 5 mL of MSCs.", "_input_hash": 7, "meta": {"k": 1}}
    line = json.dumps(rec) + "\n"
    for command in ("detect", "align", "annotate", "convert"):
        r = run_cli(command, "-", "--quiet", input=line)
        assert r.returncode == 0, (command, r.stderr)
        (out,) = _lines(r.stdout)
        assert out["_input_hash"] == 7 and out["meta"] == {"k": 1}, command
        line = r.stdout


def test_issue10_span_details_disagreeing_with_label_are_an_error(run_cli, tmp_path) -> None:
    pre = run_cli("annotate", str(REPO / "seeds"), "--quiet")
    recs = _lines(pre.stdout)
    for rec in recs:
        rec["label"] = rec["label"][1:]  # drop one label entry, keep its details
    bad = tmp_path / "pred.jsonl"
    bad.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), "utf-8")
    for args in (
        ("evaluate", "--gold", str(GOLD), "--pred", str(bad)),
        ("export", str(bad), "--format", "conll", "-o", str(tmp_path / "conll")),
    ):
        r = run_cli(*args)
        assert r.returncode == 1, r.stdout
        assert "pred.jsonl:1" in r.stderr and "000_1d1e448ab0b2f7c7" in r.stderr
        assert "'label' is the truth" in r.stderr and "Traceback" not in r.stderr


def test_issue10_prodigy_spans_are_read(run_cli, tmp_path) -> None:
    gold = _lines(GOLD.read_text("utf-8"))
    prodigy = tmp_path / "prodigy.jsonl"
    prodigy.write_text(
        "".join(
            json.dumps(
                {
                    "text": g["text"],
                    "meta": {"id": g["id"]},
                    "id": g["id"],
                    "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in g["label"]],
                    "answer": "accept",
                },
                ensure_ascii=False,
            )
            + "\n"
            for g in gold
        ),
        "utf-8",
    )
    r = run_cli("evaluate", "--gold", str(GOLD), "--pred", str(prodigy), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["strict"]["micro"]["f1"] == 1.0
    conv = run_cli("convert", str(prodigy), "--quiet")
    assert _lines(conv.stdout)[0]["answer"] == "accept"  # Prodigy's own fields kept


def _pulled(tmp_path: Path, state: str) -> Path:
    gold = _lines(GOLD.read_text("utf-8"))
    path = tmp_path / f"pulled-{state}.jsonl"
    rows = []
    for k, g in enumerate(gold):
        g["review"] = {"state": "confirmed" if k < 2 else state, "project": "p", "example": k}
        rows.append(json.dumps(g, ensure_ascii=False) + "\n")
    path.write_text("".join(rows), "utf-8")
    return path


def test_issue10_export_leaves_out_unconfirmed_and_says_so(run_cli, tmp_path) -> None:
    pulled = _pulled(tmp_path, "imported")
    r = run_cli("export", str(pulled), "--format", "jsonl", "-o", str(tmp_path / "e"))
    assert r.returncode == 0, r.stderr
    assert "left out 3 of 5" in r.stderr and "--include-unconfirmed" in r.stderr
    assert len((tmp_path / "e" / "all.jsonl").read_text("utf-8").splitlines()) == 2
    r = run_cli(
        "export", str(pulled), "--format", "jsonl", "-o", str(tmp_path / "f"),
        "--include-unconfirmed",
    )  # fmt: skip
    assert r.returncode == 0 and "including 3 unconfirmed" in r.stderr
    assert len((tmp_path / "f" / "all.jsonl").read_text("utf-8").splitlines()) == 5
    gold = run_cli("export", str(GOLD), "--format", "jsonl", "-o", str(tmp_path / "g"))
    assert "left out" not in gold.stderr  # no review state: counts as reviewed


def test_issue10_train_leaves_out_unconfirmed(run_cli, tmp_path) -> None:
    pulled = tmp_path / "all-imported.jsonl"
    rows = [dict(g, review={"state": "touched"}) for g in _lines(GOLD.read_text("utf-8"))]
    pulled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    r = run_cli("train", "--data", str(pulled), "--name", "x", "--models-dir", str(tmp_path))
    assert r.returncode == 1 and "left out 5 of 5" in r.stderr and "Traceback" not in r.stderr


def test_issue10_output_to_devices_links_and_fifos(run_cli, tmp_path) -> None:
    r = run_cli("convert", str(SEED4), "-o", "/dev/null", "--quiet")
    assert r.returncode == 0, r.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # still a device
    target = tmp_path / "real.jsonl"
    target.write_text("old\n")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    r = run_cli("convert", str(SEED4), "-o", str(link), "--quiet")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and json.loads(target.read_text("utf-8"))["id"].startswith("004")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    import subprocess
    import sys

    reader = subprocess.Popen(
        [sys.executable, "-c", f"print(len(open({str(fifo)!r}, encoding='utf-8').read()))"],
        stdout=subprocess.PIPE,
        text=True,
    )
    r = run_cli("convert", str(SEED4), "-o", str(fifo), "--quiet")
    assert r.returncode == 0, r.stderr
    assert int(reader.communicate(timeout=60)[0]) > 1000
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_issue10_output_mode_follows_umask(tmp_path) -> None:
    import subprocess
    import sys

    annotkit = str(Path(sys.executable).with_name("annotkit"))
    script = (
        f"umask 022 && {annotkit} convert {SEED4} -o {tmp_path}/a.jsonl --quiet && "
        f"{annotkit} export {GOLD} --format parquet -o {tmp_path}/pq --quiet && "
        f"umask 077 && {annotkit} convert {SEED4} -o {tmp_path}/b.jsonl --quiet"
    )
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(tmp_path / "a.jsonl").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "pq" / "all.parquet").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(tmp_path / "b.jsonl").st_mode) == 0o600


def test_issue10_output_equal_to_input_is_refused(run_cli, tmp_path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(GOLD.read_bytes())
    r = run_cli("annotate", str(gold), "-o", str(gold))
    assert r.returncode == 1 and "--overwrite-input" in r.stderr
    assert gold.read_bytes() == GOLD.read_bytes()


def test_issue10_prodigy_rejected_and_ignored_records_are_not_gold(run_cli, tmp_path) -> None:
    answers = ["accept", "accept", "reject", "ignore", "accept"]
    prodigy = tmp_path / "prodigy.jsonl"
    rows = [
        {
            "id": g["id"],
            "text": g["text"],
            "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in g["label"]],
            "answer": answer,
        }
        for g, answer in zip(_lines(GOLD.read_text("utf-8")), answers, strict=True)
    ]
    prodigy.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    r = run_cli("export", str(prodigy), "--format", "jsonl", "-o", str(tmp_path / "e"))
    assert r.returncode == 0, r.stderr
    assert "left out 2 Prodigy record(s) answered 'reject' or 'ignore'" in r.stderr
    kept = _lines((tmp_path / "e" / "all.jsonl").read_text("utf-8"))
    accepted = [g["id"] for g, a in zip(rows, answers, strict=True) if a == "accept"]
    assert [k["id"] for k in kept] == accepted


def test_issue10_convert_reads_doccano_exports_in_their_offset_units(run_cli, tmp_path) -> None:
    text = "😀 MSCs in 𠀀 5 mL"  # two characters outside the BMP: 2 UTF-16 units each
    utf16 = [[3, 7, "CELL_TYPE"], [14, 18, "DOSE"]]  # as doccano exports them
    export = tmp_path / "doccano.jsonl"
    export.write_text(json.dumps({"id": 7, "text": text, "label": utf16}) + "\n", "utf-8")
    r = run_cli("convert", str(export), "--offsets", "utf16", "--quiet")
    assert r.returncode == 0, r.stderr
    (rec,) = _lines(r.stdout)
    assert [text[s:e] for s, e, _ in rec["label"]] == ["MSCs", "5 mL"]
    r = run_cli("convert", str(tmp_path), "--offsets", "utf16")
    assert r.returncode != 0 and "JSONL files exported by doccano" in r.stderr


def test_issue10_convert_offsets_reads_like_every_other_input(run_cli, tmp_path) -> None:
    """--offsets utf16 goes through the common reader: stdin, --skip-errors, --on-duplicate
    and the document size limit apply to doccano exports as to any JSONL input."""
    good = {"id": 1, "text": "😀 5 mL", "label": [[3, 7, "DOSE"]]}
    cut = {"id": 2, "text": "😀 5 mL", "label": [[1, 7, "DOSE"]]}  # inside the surrogate pair
    lines = [good, cut, good]
    export = tmp_path / "doccano.jsonl"
    export.write_text("".join(json.dumps(x) + "\n" for x in lines), "utf-8")
    r = run_cli("convert", str(export), "--offsets", "utf16", "--quiet")
    assert r.returncode != 0 and "doccano.jsonl:2" in r.stderr, r.stderr
    r = run_cli(
        "convert", str(export), "--offsets", "utf16", "--skip-errors", "--on-duplicate",
        "keep-first",
    )  # fmt: skip
    assert r.returncode == 3, r.stderr
    assert [rec["label"] for rec in _lines(r.stdout)] == [[[2, 6, "DOSE"]]]
    assert "doccano.jsonl:2" in r.stderr and "id read before were left out" in r.stderr
    r = run_cli("convert", "-", "--offsets", "utf16", "--quiet", input=json.dumps(good) + "\n")
    assert r.returncode == 0, r.stderr
    assert [rec["label"] for rec in _lines(r.stdout)] == [[[2, 6, "DOSE"]]]
    env_run = subprocess.run(
        [sys.executable, "-m", "annotkit", "convert", str(export), "--offsets", "utf16"],
        capture_output=True,
        text=True,
        env=dict(os.environ, ANNOTKIT_MAX_DOCUMENT_CHARS="3"),
        check=False,
    )
    assert env_run.returncode != 0 and "ANNOTKIT_MAX_DOCUMENT_CHARS" in env_run.stderr


def test_issue10_evaluate_gold_leaves_out_rejected_prodigy_records(run_cli, tmp_path) -> None:
    """A rejected task's spans are what the annotator turned down: not gold (as in train)."""
    gold_rows = _lines(GOLD.read_text("utf-8"))
    rows = []
    for k, g in enumerate(gold_rows):
        rejected = k in (1, 3)
        spans = [{"start": s, "end": e, "label": lab} for s, e, lab in g["label"]]
        spans = [] if rejected else spans
        rows.append({"id": g["id"], "text": g["text"], "spans": spans,
                     "answer": "reject" if rejected else "accept"})  # fmt: skip
    prodigy = tmp_path / "prodigy.jsonl"
    prodigy.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    r = run_cli("evaluate", "--gold", str(prodigy), "--pred", str(GOLD), "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "left out 2 Prodigy record(s) answered 'reject' or 'ignore'" in r.stderr
    assert json.loads(r.stdout)["strict"]["micro"]["precision"] == 1.0
