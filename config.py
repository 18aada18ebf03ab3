"""Configuration read from the environment.

Pick a class with LOTLINE_CONFIG=development|testing|production (default development).
"""

import math
import os
import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LOTLINE_INSTANCE_DIR", BASE_DIR / "instance"))
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused by ProdConfig
DEV_AUDIT_KEY = "dev-only-audit-key-change-me"  # refused by ProdConfig


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Send plain postgres:// URLs through psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    # The audit trail's seal (HMAC-SHA256 of every event): kept outside the database, so
    # someone who can write the database but not read this key cannot rewrite the trail.
    AUDIT_KEY = os.environ.get("AUDIT_KEY", DEV_AUDIT_KEY)
    # Checkpoints of the chain (its length and head), appended to a file outside the database
    # by the alert worker every AUDIT_CHECKPOINT_MINUTES and by `flask audit checkpoint`; also
    # emailed to AUDIT_CHECKPOINT_EMAIL (if set) at most every AUDIT_CHECKPOINT_EMAIL_HOURS.
    AUDIT_CHECKPOINT_FILE = Path(os.environ.get("AUDIT_CHECKPOINT_FILE", INSTANCE_DIR / "audit-checkpoints.jsonl"))
    AUDIT_CHECKPOINT_MINUTES = float(os.environ.get("AUDIT_CHECKPOINT_MINUTES", "5"))
    AUDIT_CHECKPOINT_EMAIL = os.environ.get("AUDIT_CHECKPOINT_EMAIL", "")
    AUDIT_CHECKPOINT_EMAIL_HOURS = float(os.environ.get("AUDIT_CHECKPOINT_EMAIL_HOURS", "24"))
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lotline.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Planner settings for every PostgreSQL session the app opens (README: Production).
    # random_page_cost 1.1: SSD storage, where the default 4 (spinning disks) makes PostgreSQL
    # scan a million lots instead of looking up the few thousand of a traced scope by index
    # (incident page of a 5,400-lot scope: 472 -> 95 ms of SQL). jit off: a web request's
    # queries are short, and compiling them cost up to 1 s of the trends page's 2.3 s.
    POSTGRES_SETTINGS = os.environ.get("LOTLINE_POSTGRES_SETTINGS", "random_page_cost=1.1 jit=off")
    PORT = int(os.environ.get("PORT", "5000"))
    BASE_URL = os.environ.get("LOTLINE_BASE_URL", f"http://127.0.0.1:{PORT}")
    DEFAULT_TIMEZONE = os.environ.get("LOTLINE_TIMEZONE", "UTC")
    COMPANY_NAME = os.environ.get("LOTLINE_COMPANY_NAME", "Lotline Demo Foods Ltd")  # on recall letters

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "lotline@localhost")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "30"))
    # Without MAIL_SERVER the worker writes each message as an .eml file here instead.
    MAIL_FILE_DIR = Path(os.environ.get("MAIL_FILE_DIR", INSTANCE_DIR / "mail"))

    # The alert worker (flask alerts worker): see README "Alerts".
    ALERT_BATCH_SIZE = int(os.environ.get("ALERT_BATCH_SIZE", "50"))
    ALERT_MAX_ATTEMPTS = int(os.environ.get("ALERT_MAX_ATTEMPTS", "10"))
    ALERT_RETRY_BASE_SECONDS = float(os.environ.get("ALERT_RETRY_BASE_SECONDS", "30"))
    ALERT_RETRY_MAX_SECONDS = float(os.environ.get("ALERT_RETRY_MAX_SECONDS", "3600"))
    # A claimed row not reported back within the lease (its worker died) is taken again.
    ALERT_LEASE_SECONDS = float(os.environ.get("ALERT_LEASE_SECONDS", "300"))
    ALERT_POLL_SECONDS = float(os.environ.get("ALERT_POLL_SECONDS", "0.5"))
    # Sent messages are recorded in groups of this many (or every 0.1 s): a worker that
    # crashes may send up to this many again (same Message-IDs).
    ALERT_MARK_EVERY = int(os.environ.get("ALERT_MARK_EVERY", "10"))
    ALERT_DUE_SOON_DAYS = int(os.environ.get("ALERT_DUE_SOON_DAYS", "3"))
    ALERT_PRESS_DEADLINE_HOURS = int(os.environ.get("ALERT_PRESS_DEADLINE_HOURS", "4"))
    ALERT_DUE_CHECK_SECONDS = float(os.environ.get("ALERT_DUE_CHECK_SECONDS", "60"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    PROXY_HOPS = int(os.environ.get("LOTLINE_PROXY_HOPS", "0"))  # reverse proxies in front (README: Production)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # E-signatures: this many wrong passwords within the window lock the user's signing for the
    # rest of the window (every attempt is audited; admins are alerted when it locks).
    SIGNATURE_MAX_FAILURES = int(os.environ.get("SIGNATURE_MAX_FAILURES", "5"))
    SIGNATURE_LOCK_MINUTES = int(os.environ.get("SIGNATURE_LOCK_MINUTES", "15"))
    # A reminder to all non-responders of a recall goes at most once in this many minutes.
    REMINDER_COOLDOWN_MINUTES = int(os.environ.get("REMINDER_COOLDOWN_MINUTES", "60"))
    # The public recall response page, per address: a consignee needs a handful of requests.
    RESPONSE_RATE_LIMIT = os.environ.get("RESPONSE_RATE_LIMIT", "30 per minute")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_DURATION = timedelta(days=14)  # "keep me signed in" lasts two weeks at most
    DEMO_DATA_ALLOWED = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a form left open over a long phone call must still submit

    BOOTSTRAP_SERVE_LOCAL = True  # plants run offline: never point at a CDN
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(64 * 1024 * 1024)))
    # Attachments live outside the web root and are only ever served through a permission check.
    UPLOAD_DIR = Path(os.environ.get("LOTLINE_UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))
    PER_PAGE = 25
    # The Trends page reuses its charts for this long per app process (app/trends/cache.py).
    TRENDS_CACHE_SECONDS = float(os.environ.get("TRENDS_CACHE_SECONDS", "300"))
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a secret

    @classmethod
    def validate(cls) -> None:
        """Refuse settings that are unsafe for this configuration."""


class DevConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 - tests only
    AUDIT_KEY = "test-audit-key"
    # The test fixtures point each test at its own file.
    AUDIT_CHECKPOINT_FILE = Path(tempfile.gettempdir()) / "lotline-test-audit-checkpoints.jsonl"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - fast hashing for tests only
    MAIL_SERVER = ""
    MAIL_FILE_DIR = Path(tempfile.gettempdir()) / "lotline-test-mail"
    ALERT_RETRY_BASE_SECONDS = 0.05
    ALERT_RETRY_MAX_SECONDS = 0.2
    ALERT_POLL_SECONDS = 0.05
    MAIL_TIMEOUT = 5.0
    TRENDS_CACHE_SECONDS = 0  # each test sees its own data at once
    IMPORTS_SYNC = True  # run bulk imports inside the request, so tests see the finished job
    # Never the instance folder; the test fixtures point each test at its own temp folder.
    UPLOAD_DIR = Path(tempfile.gettempdir()) / "lotline-test-uploads"


def estimated_bits(key: str) -> float:
    """A rough entropy of a key: its length times the Shannon entropy of its characters.
    A generated key of 32 bytes in hex has about 250 bits; 40 times one letter has 0."""
    if not key:
        return 0.0
    counts = Counter(key)
    per_char = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return per_char * len(key)


def strong_key(key: str) -> bool:
    return len(key) >= 32 and estimated_bits(key) >= 128


class ProdConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    DEMO_DATA_ALLOWED = False  # demo accounts have the password "demo"

    @classmethod
    def validate(cls) -> None:
        secret_key = os.environ.get("SECRET_KEY", "")
        audit_key = os.environ.get("AUDIT_KEY", "")
        for name, key, dev_default in (
            ("SECRET_KEY", secret_key, DEV_SECRET_KEY),
            ("AUDIT_KEY", audit_key, DEV_AUDIT_KEY),
        ):
            if not strong_key(key) or key == dev_default:
                raise RuntimeError(
                    f"{name} must be set to a random value of at least 32 characters in production "
                    "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
                )
        if audit_key == secret_key:
            # The session key reaches every app process and log of a crash; the audit key
            # should be kept apart from it (README: Security).
            raise RuntimeError("AUDIT_KEY must differ from SECRET_KEY.")


CONFIGS = {"development": DevConfig, "testing": TestConfig, "production": ProdConfig}


def config_from_env() -> type[Config]:
    name = os.environ.get("LOTLINE_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"LOTLINE_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]
