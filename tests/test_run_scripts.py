"""The start scripts refuse a Telegram token without an API token (issue 13: closed by default)."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("script", ["run.sh", "run_prod.sh"])
def test_a_telegram_token_without_an_api_token_is_refused(script):
    env = {k: v for k, v in os.environ.items() if k != "RASA_TOKEN"}
    env.update(TELEGRAM_TOKEN="123:abc", MODEL="/nonexistent.tar.gz")
    done = subprocess.run(["bash", str(ROOT / "scripts" / script)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "RASA_TOKEN" in done.stderr and "refusing to start" in done.stderr
