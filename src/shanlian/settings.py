"""Settings from the environment (12-factor), with safe defaults for the embedded demo.

Every number of the rules (docs/rules.md) is a setting here, with its default, so a city can change it.
"""

from __future__ import annotations

import contextlib
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("SHANLIAN_DATA_DIR", REPO_DIR / "data"))

DEBUG = env_bool("SHANLIAN_DEBUG", False)
# The demo key is public: production sets SHANLIAN_SECRET_KEY (checked by `shanlian check --deploy`).
# The demo's keys are public (they are in this file): `shanlian check --deploy` fails while any of them is in use.
DEMO_KEYS = {
    "SECRET_KEY": "shanlian-demo-secret-key-change-me-in-production-0123456789",
    "FIELD_KEY": "ZGVtby1maWVsZC1rZXktc2hhbmxpYW4tMDAwMDAwMDA=",
    "FIELD_HASH_KEY": "demo-blind-index-key-change-me",
    "FAKEPAY_SECRET": "fakepay-demo-secret-change-me",
}
SECRET_KEY = os.environ.get("SHANLIAN_SECRET_KEY", DEMO_KEYS["SECRET_KEY"])
ALLOWED_HOSTS = env_list("SHANLIAN_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("SHANLIAN_CSRF_TRUSTED_ORIGINS")

# Keys for encrypting sensitive personal data at rest (Fernet, comma-separated, newest first so keys
# can rotate) and for the blind index that lets us find duplicates without decrypting.
FIELD_ENCRYPTION_KEYS = env_list("SHANLIAN_FIELD_KEYS", DEMO_KEYS["FIELD_KEY"])
FIELD_HASH_KEY = os.environ.get("SHANLIAN_FIELD_HASH_KEY", DEMO_KEYS["FIELD_HASH_KEY"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "shanlian.core",
    "shanlian.places",
    "shanlian.orgs",
    "shanlian.people",
    "shanlian.accounts",
    "shanlian.ledger",
    "shanlian.charity",
    "shanlian.timebank",
    "shanlian.grants",
    "shanlian.evaluation",
    "shanlian.resources",
    "shanlian.cases",
    "shanlian.wishes",
    "shanlian.groupwork",
    "shanlian.reports",
    "shanlian.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shanlian.core.middleware.RequestContextMiddleware",
    "shanlian.core.middleware.InputGuardMiddleware",
    "shanlian.core.middleware.DomainErrorMiddleware",
    "axes.middleware.AxesMiddleware",
    "shanlian.accounts.middleware.ForcePasswordChangeMiddleware",
]

# The ledger's (account, entry) index carries the amount on PostgreSQL (INCLUDE); SQLite builds it without, as intended.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

ROOT_URLCONF = "shanlian.urls"
WSGI_APPLICATION = "shanlian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shanlian.web.context_processors.navigation",
            ],
        },
    }
]

# Database: DATABASE_URL, else an embedded SQLite file (WAL) under the data folder.
_default_sqlite = f"sqlite:///{DATA_DIR / 'shanlian.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SHANLIAN_SQLITE_TEST_NAME", "")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "shanlian.accounts.backends.PhoneBackend",  # residents sign in with their phone number
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "login"

# Throttled failed logins (django-axes): lock a username+address after this many failures.
AXES_FAILURE_LIMIT = int(os.environ.get("SHANLIAN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("SHANLIAN_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "shanlian.accounts.backends.axes_username"  # a phone, however typed, is one name (its blind index)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# Uploaded files (payout attachments): kept under the data folder and never served directly; views
# hand them out only to users who may see what they are attached to.
MEDIA_ROOT = Path(os.environ.get("SHANLIAN_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media/"

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("SHANLIAN_STATIC_ROOT", DATA_DIR / "static"))
NODE_MODULES = Path(os.environ.get("SHANLIAN_NODE_MODULES", REPO_DIR / "node_modules"))
# Third-party front-end files come from the npm registry (package.json), served from node_modules.
STATICFILES_DIRS = [
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SHANLIAN_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "shanlian": {"handlers": ["console"], "level": os.environ.get("SHANLIAN_LOG_LEVEL", "INFO")},
        "django.security": {"handlers": ["console"], "level": "WARNING"},
        # Every 500 with its traceback (Django's own default logs them only with DEBUG on).
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}

# --- Domain settings (the numbers of docs/rules.md, each overridable) ---
SHANLIAN: dict[str, Any] = {
    # Masks: how many characters to keep visible at the start and the end.
    "MASK_RESIDENT_ID": (int(os.environ.get("SHANLIAN_MASK_ID_HEAD", "6")), int(os.environ.get("SHANLIAN_MASK_ID_TAIL", "4"))),
    "MASK_PHONE": (int(os.environ.get("SHANLIAN_MASK_PHONE_HEAD", "3")), int(os.environ.get("SHANLIAN_MASK_PHONE_TAIL", "4"))),
    "GRADE_VALID_YEARS": int(os.environ.get("SHANLIAN_GRADE_VALID_YEARS", "5")),
    # Evaluation (docs/rules.md, Evaluation): who may apply for a grade (years registered, years without a penalty),
    # brand eligibility, the grade from which a site inspection is required, raters' divergence, grade reminders.
    "EVALUATION_MIN_REGISTERED_YEARS": int(os.environ.get("SHANLIAN_EVALUATION_MIN_REGISTERED_YEARS", "2")),
    "EVALUATION_PENALTY_YEARS": int(os.environ.get("SHANLIAN_EVALUATION_PENALTY_YEARS", "2")),
    "BRAND_MIN_REGISTERED_YEARS": int(os.environ.get("SHANLIAN_BRAND_MIN_REGISTERED_YEARS", "5")),
    "BRAND_PENALTY_YEARS": int(os.environ.get("SHANLIAN_BRAND_PENALTY_YEARS", "3")),
    "EVALUATION_SITE_INSPECTION_FROM": os.environ.get("SHANLIAN_EVALUATION_SITE_INSPECTION_FROM", "3A"),
    "EVALUATION_DIVERGENCE": Decimal(os.environ.get("SHANLIAN_EVALUATION_DIVERGENCE", "0.30")),
    # Fewer survey responses than this in a year and a satisfaction rate does not mark an evaluation.
    "EVALUATION_SATISFACTION_MIN_RESPONSES": int(os.environ.get("SHANLIAN_EVALUATION_SATISFACTION_MIN_RESPONSES", "10")),
    # Capacity diagnosis: roles further apart than this (levels) flagged; peers needed for a median; weak below this.
    "CAPACITY_DIVERGENCE": Decimal(os.environ.get("SHANLIAN_CAPACITY_DIVERGENCE", "1.0")),
    "CAPACITY_PEERS_MIN": int(os.environ.get("SHANLIAN_CAPACITY_PEERS_MIN", "3")),
    "CAPACITY_WEAK_BELOW": Decimal(os.environ.get("SHANLIAN_CAPACITY_WEAK_BELOW", "2.5")),
    "EVALUATION_REMIND_DAYS": tuple(int(x) for x in os.environ.get("SHANLIAN_EVALUATION_REMIND_DAYS", "180,90,30").split(",")),
    # An expert's ended tie to an organization still bars them from its reviews for this many years.
    "EXPERT_TIE_COOLING_YEARS": int(os.environ.get("SHANLIAN_EXPERT_TIE_COOLING_YEARS", "3")),
    # Beneficiaries (docs: Privacy): a guardian acts for anyone under this age; a data subject's access or correction
    # request is answered within this many days; a consent lasts at most this many years; a reveal's reason is this long.
    "CASES_GUARDIAN_AGE": int(os.environ.get("SHANLIAN_CASES_GUARDIAN_AGE", "14")),
    "CASES_DATA_REQUEST_DAYS": int(os.environ.get("SHANLIAN_CASES_DATA_REQUEST_DAYS", "15")),
    "CASES_CONSENT_MAX_YEARS": int(os.environ.get("SHANLIAN_CASES_CONSENT_MAX_YEARS", "3")),
    "CASES_REVEAL_REASON_MIN": int(os.environ.get("SHANLIAN_CASES_REVEAL_REASON_MIN", "4")),
    # Elders living alone (and cases whose plan says so) get a home visit at least this often (days).
    "CASES_HOME_VISIT_DAYS": int(os.environ.get("SHANLIAN_CASES_HOME_VISIT_DAYS", "30")),
    "PAGE_SIZE": int(os.environ.get("SHANLIAN_PAGE_SIZE", "25")),
    "API_PAGE_SIZE_MAX": int(os.environ.get("SHANLIAN_API_PAGE_SIZE_MAX", "200")),
    # List totals are counted up to this many rows ("10,000+" beyond): a page costs the same in any city.
    "COUNT_CAP": int(os.environ.get("SHANLIAN_COUNT_CAP", "10000")),
    # Charity (docs/rules.md, Money). Charitable spending in a year >= this share of last year's income.
    "CHARITY_MIN_SPENDING_RATIO": Decimal(os.environ.get("SHANLIAN_MIN_SPENDING_RATIO", "0.70")),
    # Management cost <= this share of the year's spending; associations (a federation) get the higher cap.
    "CHARITY_MGMT_COST_CAP": Decimal(os.environ.get("SHANLIAN_MGMT_COST_CAP", "0.10")),
    "CHARITY_MGMT_COST_CAP_ASSOCIATION": Decimal(os.environ.get("SHANLIAN_MGMT_COST_CAP_ASSOCIATION", "0.13")),
    # Disclosure: activities longer than this many months are disclosed every DISCLOSE_EVERY months.
    "CHARITY_LONG_ACTIVITY_MONTHS": int(os.environ.get("SHANLIAN_LONG_ACTIVITY_MONTHS", "6")),
    "CHARITY_DISCLOSE_EVERY_MONTHS": int(os.environ.get("SHANLIAN_DISCLOSE_EVERY_MONTHS", "3")),
    # An approved payout reserves its money this long; unpaid by then it lapses and the money is released.
    "CHARITY_PAYOUT_HOLD_DAYS": int(os.environ.get("SHANLIAN_PAYOUT_HOLD_DAYS", "30")),
    # Campaign progress counters are spread over this many rows (Giving-Day concurrency).
    "CHARITY_TALLY_SLOTS": int(os.environ.get("SHANLIAN_TALLY_SLOTS", "16")),
    # Single online gifts of concurrent API requests written in one transaction (services/groupcommit.py):
    # "auto" (the intake gateway groups, Django's endpoint does not), "on" (both: for gthread workers) or "off"; and
    # how long (ms) a group gathers gifts at most.
    "CHARITY_GROUP_COMMIT": os.environ.get("SHANLIAN_GROUP_COMMIT", "auto"),
    "CHARITY_GROUP_COMMIT_WINDOW": float(os.environ.get("SHANLIAN_GROUP_COMMIT_WINDOW_MS", "2")),
    "CHARITY_GROUP_COMMIT_THREADS": int(os.environ.get("SHANLIAN_GROUP_COMMIT_THREADS", "0")),  # 0: 1 in the gateway, 2 elsewhere
    # Online payments: how long a payment may stay open, and the FakePay webhook secret (demo and tests).
    "CHARITY_PAYMENT_TTL_MINUTES": int(os.environ.get("SHANLIAN_PAYMENT_TTL_MINUTES", "30")),
    "FAKEPAY_SECRET": os.environ.get("SHANLIAN_FAKEPAY_SECRET", DEMO_KEYS["FAKEPAY_SECRET"]),
    # FakePay marks payments paid with no money moving: for the demo and tests only; off in production.
    "FAKEPAY_ENABLED": env_bool("SHANLIAN_FAKEPAY_ENABLED", True),
    # Time bank (docs/rules.md, Time bank): stars by cumulative approved hours, spending threshold, cap.
    "TIMEBANK_STAR_HOURS": tuple(int(x) for x in os.environ.get("SHANLIAN_STAR_HOURS", "100,300,600,1000,1500").split(",")),
    "TIMEBANK_SPEND_MIN_STARS": int(os.environ.get("SHANLIAN_SPEND_MIN_STARS", "1")),
    "TIMEBANK_BALANCE_CAP": int(os.environ.get("SHANLIAN_CREDIT_CAP", "1500")),
    "TIMEBANK_CHECKINS_PER_DAY": int(os.environ.get("SHANLIAN_CHECKINS_PER_DAY", "3")),
    "TIMEBANK_MIN_COVERAGE": Decimal(os.environ.get("SHANLIAN_MIN_COVERAGE", "0.6")),
    "TIMEBANK_ORGANIZER_DAY_HOURS": int(os.environ.get("SHANLIAN_ORGANIZER_DAY_HOURS", "8")),
    "TIMEBANK_MAX_DAY_HOURS": int(os.environ.get("SHANLIAN_MAX_DAY_HOURS", "12")),
    "TIMEBANK_QR_ROTATE_SECONDS": int(os.environ.get("SHANLIAN_QR_ROTATE_SECONDS", "30")),
    "TIMEBANK_QR_VALID_SECONDS": int(os.environ.get("SHANLIAN_QR_VALID_SECONDS", "60")),
    "TIMEBANK_QUIZ_QUESTIONS": int(os.environ.get("SHANLIAN_QUIZ_QUESTIONS", "10")),
    "TIMEBANK_QUIZ_PASS_PERCENT": int(os.environ.get("SHANLIAN_QUIZ_PASS_PERCENT", "80")),
    "TIMEBANK_QUIZ_MAX_ATTEMPTS": int(os.environ.get("SHANLIAN_QUIZ_MAX_ATTEMPTS", "3")),
    # Micro-venture rounds (docs/rules.md): a community round's grants by default, reviewers per proposal (at least),
    # and how long after its final-reports phase a round's reserved budget stays reserved if nobody closes the round.
    "GRANTS_MIN_GRANT": Decimal(os.environ.get("SHANLIAN_GRANTS_MIN_GRANT", "5000")),
    "GRANTS_MAX_GRANT": Decimal(os.environ.get("SHANLIAN_GRANTS_MAX_GRANT", "20000")),
    "GRANTS_MIN_REVIEWERS": int(os.environ.get("SHANLIAN_GRANTS_MIN_REVIEWERS", "3")),
    "GRANTS_HOLD_GRACE_DAYS": int(os.environ.get("SHANLIAN_GRANTS_HOLD_GRACE_DAYS", "180")),
    # "成熟一个培育一个": how many projects a station (or a fund without one) cultivates for the brand list at once.
    "GRANTS_BRAND_CULTIVATING": int(os.environ.get("SHANLIAN_GRANTS_BRAND_CULTIVATING", "1")),
    # Reviewers whose shares of the rubric's top score differ by more than this are flagged for a second look.
    "GRANTS_SPREAD_FLAG": Decimal(os.environ.get("SHANLIAN_GRANTS_SPREAD_FLAG", "0.30")),
    # The address printed on receipts', certificates' and check-in QR codes, e.g. https://shanlian.example.cn;
    # empty: the address the page was asked for (its scheme, host and port), so a phone opens what a browser did.
    "PUBLIC_BASE_URL": os.environ.get("SHANLIAN_PUBLIC_BASE_URL", "").strip(),
    # Without a broker, run the periodic jobs (shanlian/schedule.py) in a thread of each app process; the demo
    # always does. With CELERY_BROKER_URL set Celery beat runs them and this is ignored.
    "JOBS_IN_PROCESS": env_bool("SHANLIAN_JOBS_IN_PROCESS", False),
    # Upper bounds on what enters (core.inputs): yuan for one online gift, one gift recorded by staff or imported,
    # any other amount (payouts, budgets, goals, pools, goods' value), and goods' quantities.
    "LIMITS": {
        "ONLINE_GIFT": Decimal(os.environ.get("SHANLIAN_MAX_ONLINE_GIFT", "1000000")),
        "RECORDED_GIFT": Decimal(os.environ.get("SHANLIAN_MAX_RECORDED_GIFT", "10000000")),
        "AMOUNT": Decimal(os.environ.get("SHANLIAN_MAX_AMOUNT", "100000000")),
        "QUANTITY": Decimal(os.environ.get("SHANLIAN_MAX_QUANTITY", "1000000")),
    },
    # Dates the books may hold: nothing before this day; periods reach at most this many years ahead (to 31 Dec);
    # a time something happened may be this many hours ahead of the server's clock.
    "DATE_EARLIEST": os.environ.get("SHANLIAN_DATE_EARLIEST", "2000-01-01"),
    "DATE_HORIZON_YEARS": int(os.environ.get("SHANLIAN_DATE_HORIZON_YEARS", "1")),
    "CLOCK_SKEW_HOURS": float(os.environ.get("SHANLIAN_CLOCK_SKEW_HOURS", "24")),
    # Text messages (sign-up and password-reset codes): the provider's class, a code's life, tries and sends an hour.
    "SMS_BACKEND": os.environ.get("SHANLIAN_SMS_BACKEND", "shanlian.accounts.messaging.ConsoleSms"),
    "OTP_TTL_MINUTES": int(os.environ.get("SHANLIAN_OTP_TTL_MINUTES", "10")),
    "OTP_MAX_ATTEMPTS": int(os.environ.get("SHANLIAN_OTP_MAX_ATTEMPTS", "5")),
    "OTP_PER_HOUR": int(os.environ.get("SHANLIAN_OTP_PER_HOUR", "5")),
}

# Celery (later apps): Redis in production; eager in the embedded default so the demo needs no broker.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task to another worker; tasks are idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

ADMIN_SITE_HEADER = _("Shanlian administration")

with contextlib.suppress(OSError):  # whitenoise serves from finders; an existing STATIC_ROOT keeps it quiet
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
