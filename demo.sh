#!/usr/bin/env bash
# The demo: a real ingestion pass on a throwaway local IMAP server. No root needed.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || { echo "python3 -m venv failed: apt-get install python3-venv" >&2; exit 1; }
fi
.venv/bin/pip install --disable-pip-version-check -q -e '.[demo]'
exec .venv/bin/mailbot demo "$@"
