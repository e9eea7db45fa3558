"""Configuration from GREENSWORD_* environment variables; every default is embedded."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GREENSWORD_", env_file=".env", extra="ignore")

    #: Where operational state lives: the SQLite file, the monitoring lake, evidence files.
    data_dir: Path = Path("var")
    #: SQLAlchemy URL; empty means an embedded SQLite file under data_dir.
    database_url: str = ""
    #: Parquet monitoring lake root; empty means data_dir/lake.
    lake_dir: Path | None = None
    #: Content-addressed evidence store root; empty means data_dir/evidence.
    evidence_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 9212
    #: Seconds a console session stays valid without use.
    session_ttl_s: int = 8 * 3600
    #: Mark session cookies Secure (set true behind HTTPS).
    cookie_secure: bool = False
    #: Where the front-end vendor libraries (htmx, ECharts) are installed by the setup command.
    vendor_dir: Path = Field(default=Path("var/vendor/node_modules"))

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'greensword.db').as_posix()}"

    @property
    def lake_path(self) -> Path:
        return self.lake_dir or self.data_dir / "lake"

    @property
    def evidence_path(self) -> Path:
        return self.evidence_dir or self.data_dir / "evidence"


@lru_cache
def get_settings() -> Settings:
    return Settings()
