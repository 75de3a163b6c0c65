"""Runs a command against a freshly started bot stack (Rasa + actions on free ports).

Usage: eval_stack.py --model PATH -- COMMAND...   (the command gets --url of the stack appended,
or, where an argument contains "{url}", the stack's URL put there instead)
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.stack import BotStack  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    command = [c for c in a.command if c != "--"]
    stack = BotStack(Path(tempfile.mkdtemp(prefix="eval-stack-"))).start(a.model)
    try:
        if any("{url}" in c for c in command):
            return subprocess.run([c.replace("{url}", stack.url) for c in command]).returncode
        return subprocess.run([*command, "--url", stack.url]).returncode
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
