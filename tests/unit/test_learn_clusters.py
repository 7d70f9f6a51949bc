"""Word clusters of an unlabelled corpus as CRF features (annotkit.learn.clusters)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from annotkit.errors import InputError
from annotkit.learn.clusters import CLUSTERS_FILE, WordClusters, build_clusters
from annotkit.learn.features import SourceTags, sequence_features, sequences

# "florbix" and "quelp" occur in exactly the same contexts; "saline" and "patients" elsewhere
_TEXTS = [
    t.format(w=w)
    for n in range(12)
    for w in ("florbix", "quelp")
    for t in (
        f"The {{w}} population expanded after {n} days.",
        f"We counted {{w}} in well {n} under the microscope.",
        f"Patients received {n} mL of saline in the morning.",
        f"All patients were seen after {n} weeks by the nurse.",
    )
]


def test_learn_clusters_words_used_alike_share_a_cluster_and_the_build_is_deterministic() -> None:
    cl = build_clusters(_TEXTS, sizes=(4, 16), dim=8)
    assert cl.sizes == (4, 16)
    assert cl.of("florbix") == cl.of("quelp") == cl.of("QUELP")
    assert [c.split(":")[0] for c in cl.of("florbix")] == ["4", "16"]
    assert cl.of("never-seen") == ("unk",)
    assert build_clusters(_TEXTS, sizes=(4, 16), dim=8) == cl
    assert build_clusters(_TEXTS, sizes=(4, 16), dim=8, seed=1).sizes == (4, 16)


def test_learn_clusters_round_trip_and_a_bad_file_is_named(tmp_path: Path) -> None:
    cl = build_clusters(_TEXTS, sizes=(4,), dim=8)
    path = cl.write(tmp_path)
    assert path.name == CLUSTERS_FILE
    assert WordClusters.read(tmp_path) == cl
    assert WordClusters.read(tmp_path / "elsewhere") is None
    path.write_text("word\t4\nflorbix\t1\t2\n", "utf-8")
    with pytest.raises(InputError, match=r"clusters\.tsv.*line 2.*retrain"):
        WordClusters.read(tmp_path)


def test_learn_clusters_are_features_of_the_token_and_its_neighbours() -> None:
    text = "The quelp population"
    cl = WordClusters({"quelp": ("4:1", "16:9"), "the": ("4:0", "16:3")}, (4, 16))
    (seq,) = sequences(text, [()])
    tags = SourceTags(rules=(), lexicon=(), excluded=())
    plain = sequence_features(text, seq, tags)
    with_cl = sequence_features(text, seq, tags, cl)
    assert not any("c=" in f for tok in plain for f in tok)
    assert {"0c=4:1", "0c=16:9", "-1c=4:0", "1c=unk"} <= set(with_cl[1])
    assert [f for f in with_cl[1] if "c=" not in f] == plain[1]  # only added
    assert "-1c=4:1" in with_cl[2] and not any(f.startswith("1c=") for f in with_cl[2])


def test_clusters_need_no_torch() -> None:
    """The CRF's word clusters come with the `learn` extra alone: building them imports no
    torch (a subprocess where `import torch` fails)."""
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "from annotkit.learn.clusters import build_clusters\n"
        "cl = build_clusters(['stem cells were injected', 'stromal cells were injected',"
        " 'patients were treated'] * 5, sizes=(2,), dim=3)\n"
        "assert 'torch' not in [m for m, v in sys.modules.items() if v is not None]\n"
        "print(cl.of('stem'), cl.of('stromal'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("('2:")
