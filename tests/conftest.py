"""Fixtures shared by the test packages: a temporary knowledge base built from the content."""
from __future__ import annotations

import pytest

from knowledge_base.cli import main as kb_cli


@pytest.fixture(scope="session")
def kb_url(tmp_path_factory) -> str:
    """A temporary SQLite knowledge base built from the repository's content."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kb') / 'kb.db'}"
    assert kb_cli(["--database-url", url, "build"]) == 0
    return url
