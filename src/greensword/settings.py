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
    #: Web server worker processes on this host; 0 means one per CPU core. Everything a request
    #: relies on between requests (sessions, CSRF key, rate limits, login throttling, cached
    #: figures' validity) is shared through the database or data_dir, so workers and hosts behind
    #: a load balancer agree.
    workers: int = 0
    #: Database connections each worker keeps open (PostgreSQL), and how many more it may open
    #: under a burst before requests wait. Pool + overflow covers the 40 threads a worker runs
    #: requests in (a request waiting for a connection longer than 30 s fails); size PostgreSQL's
    #: max_connections for workers × hosts × 40.
    #: Seconds an idle HTTP keep-alive connection is kept open. Longer than a browser's pause
    #: between clicks and than a load balancer's idle timeout (60 s on the usual ones): a server
    #: closing first races the client's next request on that connection, which then fails as a
    #: dropped connection (uvicorn's default of 5 s dropped ≈ 1 % of requests under the load test).
    keep_alive_s: int = 75
    db_pool_size: int = 10
    db_max_overflow: int = 30
    #: SQLite: read the database file through memory-mapped I/O up to this many MiB (PRAGMA
    #: mmap_size; 0 = off): the statistics' range scans then read pages without a system call each
    #: (national data set: a period's figures ≈40 % faster on a busy host, ≈10 % less CPU).
    sqlite_mmap_mb: int = 1024
    #: A cached figure whose computation took at least this many seconds (a national statistics
    #: table, a ranking of ≈2,800 counties) is served from before the latest write, with its time
    #: shown, while it is recomputed in the background (core.cache); faster ones never are.
    cache_stale_after_s: float = 0.5
    #: Compute the figures the statistics and ranking pages open with when a worker starts, in the
    #: background (national scale: seconds each), instead of on its first visitors' requests.
    prewarm_figures: bool = True
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 9212
    #: Demo only (``make run`` turns it on): every registered point uploads a minute record a
    #: minute through the gateway, so the demo's points are live (greensword.hj212.feed).
    demo_feed: bool = False
    #: Absolute lifetime of a console session (one working day), whatever its use.
    session_ttl_s: int = 8 * 3600
    #: A console session unused this long ends (ASVS 3.3.2: re-authenticate after idle; 30 min
    #: fits an officer's break yet bounds the exposure of a shared or lost device).
    session_idle_s: int = 30 * 60
    #: API tokens: default and longest lifetime in days (ASVS 3.5: tokens expire; a year bounds a
    #: leaked integration token, 30 days by default).
    api_token_days: int = 30
    api_token_max_days: int = 365
    #: Failed sign-ins tolerated per user name within the window before a lockout (ASVS 2.2.1:
    #: at most 100 per hour; 5 per 15 min stops guessing without locking out typos).
    login_user_failures: int = 5
    #: Failed sign-ins tolerated per client address within the window (several users share an
    #: office NAT, so looser than per user).
    login_addr_failures: int = 30
    #: Window over which failures are counted, and how long a lockout lasts, in seconds.
    login_window_s: int = 15 * 60
    login_lockout_s: int = 15 * 60
    #: Largest request body accepted by default (forms and JSON), in bytes; refused with 413 from
    #: the Content-Length header or, for chunked bodies, as soon as the stream passes it.
    max_body_bytes: int = 2 * 1024 * 1024
    #: Largest body for upload routes (imports, evidence, documents), in bytes.
    max_upload_bytes: int = 50 * 1024 * 1024
    #: A console export of more rows than this runs as a job with a progress page (已导出 N / 共 M
    #: 行) instead of streaming; the xlsx format is built whole before its first byte (≈4 s for
    #: 20,000 rows), so without it the browser shows nothing meanwhile.
    export_job_rows: int = 5000
    #: How long an export job's file is kept for its owner to download, in seconds.
    export_keep_s: int = 3600
    #: Secret used to derive CSRF tokens; empty means a random key kept in data_dir/secret_key
    #: (shared by every worker on the host; set it explicitly when several hosts serve the app).
    secret_key: str = ""
    #: Mark session cookies Secure (set true behind HTTPS).
    cookie_secure: bool = False
    #: Where the front-end vendor libraries (htmx, ECharts) are installed by the setup command.
    vendor_dir: Path = Field(default=Path("var/vendor/node_modules"))

    @property
    def worker_count(self) -> int:
        import os

        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

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
