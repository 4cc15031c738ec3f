#!/usr/bin/env bash
# Installs everything Shanlian needs on a fresh Debian machine, idempotently:
#   system packages (apt), the Python virtualenv (.venv), front-end libraries (npm), translations.
# Usage: scripts/setup.sh demo|test   ("test" also installs chromium and fonts for browser tests)
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-demo}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

say() { printf '\033[1;32m==>\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    echo "需要 root 权限安装系统软件包 / need root to install: $*" >&2; exit 1; fi
}

# 1. System packages from Debian.
need=()
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ "$purpose" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  case "$(fc-list 2>/dev/null)" in *"Noto Sans CJK"*) ;; *) need+=(fonts-noto-cjk) ;; esac
  command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# 2. Python packages into .venv (reinstalled only when pyproject.toml changes).
if [ ! -x .venv/bin/python ]; then
  say "python venv (.venv)"
  "$PY" -m venv .venv
fi
stamp=".venv/.shanlian-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "pip install -e .[dev]"
  # (grep drops this machine's notes about absent local package mirrors)
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/shanlian --version >/dev/null
  rm -f .venv/.shanlian-* && touch "$stamp"
fi

# 3. Front-end libraries from the npm registry (served locally; nothing third-party is in git).
lockstamp="node_modules/.shanlian-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$lockstamp" ]; then
  say "npm ci (bootstrap, echarts, htmx)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch "$lockstamp"
fi

# 4. Translations (.po in git, .mo built here).
say "compilemessages"
(cd src/shanlian && ../../.venv/bin/shanlian compilemessages -v0)
