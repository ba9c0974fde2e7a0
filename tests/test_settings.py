"""Settings come from arguments, MATCLOUD_* variables and matcloud.toml, in that order."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from matcloud.settings import Settings


def test_defaults_use_the_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.data_dir == tmp_path / "instance"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'instance' / 'matcloud.db'}"
    assert settings.resolved_blob_dir == tmp_path / "instance" / "blobs"
    assert settings.max_record_bytes == 5 * 1024**3
    assert settings.max_aiida_record_bytes == 50 * 1024**3


def test_environment_overrides_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "matcloud.toml").write_text(
        'site_name = "Lab cloud"\ndoi_prefix = "10.5555"\nmax_files_per_record = 7\n'
    )
    monkeypatch.setenv("MATCLOUD_DOI_PREFIX", "10.1234")
    settings = Settings()
    assert settings.site_name == "Lab cloud"
    assert settings.doi_prefix == "10.1234"
    assert settings.max_files_per_record == 7


def test_config_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('base_url = "https://data.example.org"\n')
    monkeypatch.setenv("MATCLOUD_CONFIG", str(config))
    assert Settings().base_url == "https://data.example.org"


def test_unknown_or_wrong_settings_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "matcloud.toml").write_text('site_nam = "typo"\n')
    with pytest.raises(ValidationError, match="site_nam"):
        Settings()
    (tmp_path / "matcloud.toml").unlink()
    monkeypatch.setenv("MATCLOUD_JOB_QUEUE", "rabbit")
    with pytest.raises(ValidationError, match="job_queue"):
        Settings()


def test_secret_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.load_secret_key()
    assert len(key) >= 48
    assert settings.load_secret_key() == key
    mode = stat.S_IMODE(settings.secret_key_file.stat().st_mode)
    assert mode == 0o600
    assert Settings(data_dir=tmp_path / "data", secret_key="given").load_secret_key() == "given"
