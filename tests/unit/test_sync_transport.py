"""URL checks, the timeout setting and where annotkit keeps its doccano accounts."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from annotkit.errors import ConfigError
from annotkit.sync.accounts import load_suggester, save_suggester
from annotkit.sync.transport import check_url, timeout_setting


@pytest.mark.parametrize(
    "url", ["localhost:8000", "127.0.0.1:8000", "ftp://host", "http://", "http://h:99999", ""]
)
def test_sync_transport_rejects_urls_without_scheme_or_host(url: str) -> None:
    with pytest.raises(ConfigError, match=" ; "):
        check_url(url, "ANNOTKIT_DOCCANO_URL")


def test_sync_transport_accepts_and_normalises_urls() -> None:
    assert check_url(" http://127.0.0.1:8000/ ") == "http://127.0.0.1:8000"
    assert check_url("https://example.org/doccano/") == "https://example.org/doccano"


def test_sync_transport_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANNOTKIT_DOCCANO_TIMEOUT", raising=False)
    assert timeout_setting() == 60.0
    monkeypatch.setenv("ANNOTKIT_DOCCANO_TIMEOUT", "2.5")
    assert timeout_setting() == 2.5
    for bad in ("0", "-1", "soon"):
        monkeypatch.setenv("ANNOTKIT_DOCCANO_TIMEOUT", bad)
        with pytest.raises(ConfigError, match="ANNOTKIT_DOCCANO_TIMEOUT"):
            timeout_setting()


def test_sync_accounts_suggester_password_is_private(tmp_path: Path) -> None:
    local = tmp_path / "credentials.json"
    local.write_text(
        json.dumps({"url": "http://127.0.0.1:5", "username": "admin", "password": "a"})
    )
    assert load_suggester(tmp_path, "http://127.0.0.1:5") is None
    # the local server's: kept with the other credentials
    assert save_suggester(tmp_path, "http://127.0.0.1:5/", "annotkit", "s1") == local
    assert load_suggester(tmp_path, "http://127.0.0.1:5") == ("annotkit", "s1")
    assert json.loads(local.read_text())["password"] == "a"
    # any other server's: suggesters.json, by URL
    other = save_suggester(tmp_path, "https://doccano.example.org", "annotkit", "s2")
    assert other.name == "suggesters.json"
    assert load_suggester(tmp_path, "https://doccano.example.org") == ("annotkit", "s2")
    for path in (local, other):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
