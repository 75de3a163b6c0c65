#!/usr/bin/env bash
# Resolves requirements.in in a scratch Python 3.10 environment and writes requirements.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
py=$(ls "$(pyenv root 2>/dev/null || echo ~/.pyenv)"/versions/3.10.*/bin/python3.10 | head -1)
"$py" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q -r requirements.in
"$tmp/venv/bin/pip" check
{ echo "# Generated from requirements.in by 'make lock' (pip freeze of a fresh Python 3.10 environment).";
  "$tmp/venv/bin/pip" freeze --all | grep -v '^pip=='; } > requirements.lock
rm -rf "$tmp"
