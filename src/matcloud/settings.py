"""Instance settings.

Read from ``MATCLOUD_*`` environment variables, then from an optional ``matcloud.toml`` (in
the working directory, or the path in ``MATCLOUD_CONFIG``), then defaults. A
:class:`Settings` object is passed into :func:`matcloud.app.create_app`; nothing reads
settings from a global, so one process can build two apps with different settings.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

GB = 1024**3
MB = 1024**2


class Settings(BaseSettings):
    """Everything an operator may configure. Paths are resolved against ``data_dir``."""

    model_config = SettingsConfigDict(env_prefix="MATCLOUD_", extra="forbid")

    data_dir: Path = Field(Path("instance"), description="Where the database, blobs and keys live")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file matcloud.db in the data dir"
    )
    blob_store: Literal["local"] = Field("local", description="Blob store backend")
    blob_dir: Path | None = Field(None, description="Local blob store root; default data_dir/blobs")
    job_queue: Literal["sqlite", "redis", "immediate"] = Field(
        "sqlite", description="huey storage: sqlite (embedded), redis, or immediate (tests)"
    )
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis URL for job_queue=redis")
    job_queue_name: str = Field("matcloud", description="Name of the job queue (Redis key prefix)")
    base_url: str = Field("http://127.0.0.1:8000", description="Public URL of the site")
    site_name: str = Field("matcloud", description="Name shown in the header and metadata")
    doi_prefix: str = Field("10.99999", description="DOI prefix for minted DOIs")
    pid_provider: Literal["local", "datacite"] = Field(
        "local",
        description="Who registers DOIs: local (this instance resolves them at /doi/) or "
        "datacite (DataCite's REST API, with the credentials below)",
    )
    datacite_url: str = Field(
        "https://api.test.datacite.org",
        description="DataCite REST API: the test system, or https://api.datacite.org",
    )
    datacite_username: str | None = Field(None, description="DataCite repository id")
    datacite_password: SecretStr | None = Field(None, description="DataCite repository password")
    datacite_timeout: float = Field(30.0, description="Seconds to wait for DataCite")
    max_record_bytes: int = Field(5 * GB, description="Upload limit per record")
    max_aiida_record_bytes: int = Field(50 * GB, description="Limit for a record with an .aiida")
    max_files_per_record: int = Field(100, description="File count limit per record")
    max_form_bytes: int = Field(1 * MB, description="Largest accepted HTML form body")
    orcid_api_url: str | None = Field(
        None,
        description="ORCID public API for creator look-ups, e.g. https://pub.orcid.org/v3.0 "
        "(unset: only people this instance knows)",
    )
    admin_email: str | None = Field(
        None, description="Operators' address, published in OAI-PMH Identify"
    )
    explore_dir: Path | None = Field(
        None, description="Where EXPLORE keeps its archive indexes; default data_dir/explore"
    )
    explore_aiida_python: Path | None = Field(
        None,
        description="Python of an aiida-core install (e.g. .venv-aiida/bin/python), used only "
        "to migrate legacy (0.x) AiiDA exports; unset: legacy exports are not browsable",
    )
    mail_from: str = Field("matcloud@localhost", description="Sender address of site mail")
    smtp_url: str | None = Field(None, description="smtp://host:port; unset = mail is logged")
    secret_key: str | None = Field(
        None, description="Signs cookies; default: generated once into data_dir/secret_key"
    )
    session_days: int = Field(14, description="Lifetime of a sign-in session")
    work_input_days: int = Field(
        30, description="How long a WORK tool's shared result URL stays valid after last use"
    )
    secure_cookies: bool = Field(False, description="Set the Secure flag (serve over HTTPS)")
    login_max_failures: int = Field(5, description="Failed sign-ins allowed per account/window")
    login_max_failures_per_address: int = Field(20, description="Failed sign-ins per IP/window")
    login_window_seconds: int = Field(900, description="Window of the sign-in rate limit")
    log_format: Literal["json", "text"] = Field("json", description="Structured log output")
    log_level: str = Field("INFO", description="Logging level")
    worker_threads: int = Field(2, description="Threads of the in-process job worker")
    optimade_provider_prefix: str = Field(
        "matcloud",
        description="OPTIMADE database-provider prefix (registered at providers.optimade.org); "
        "our own properties are named _<prefix>_...",
    )
    optimade_provider_name: str | None = Field(
        None, description="OPTIMADE provider name; default: site_name"
    )
    optimade_provider_description: str = Field(
        "Structures from the published records of a matcloud instance",
        description="OPTIMADE provider description",
    )
    optimade_provider_homepage: str | None = Field(
        None, description="OPTIMADE provider homepage; default: base_url"
    )

    @field_validator("data_dir", mode="after")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("optimade_provider_prefix", mode="after")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9]*", value):
            raise ValueError("an OPTIMADE provider prefix is lowercase letters and digits")
        return value

    @model_validator(mode="after")
    def _datacite_needs_credentials(self) -> Settings:
        if self.pid_provider == "datacite":
            missing = [
                name
                for name in ("datacite_username", "datacite_password")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(
                    f"pid_provider = 'datacite' needs {' and '.join(missing)} "
                    "(the repository's credentials in DataCite Fabrica)"
                )
            if not self.datacite_url.startswith(("https://", "http://")):
                raise ValueError("datacite_url must be an http(s) URL")
        if self.datacite_timeout <= 0:
            raise ValueError("datacite_timeout must be more than 0 seconds")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("MATCLOUD_CONFIG", "matcloud.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'matcloud.db'}"

    @property
    def resolved_blob_dir(self) -> Path:
        return (self.blob_dir or self.data_dir / "blobs").expanduser().resolve()

    @property
    def resolved_explore_dir(self) -> Path:
        return (self.explore_dir or self.data_dir / "explore").expanduser().resolve()

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret_key"

    def load_secret_key(self, create: bool = True) -> str:
        """The configured key, else the one kept in the data dir (made on first use, mode 0600)."""
        if self.secret_key:
            return self.secret_key
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip()
        if not create:
            raise FileNotFoundError(f"no secret key at {path}; run `matcloud init`")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
        return key
