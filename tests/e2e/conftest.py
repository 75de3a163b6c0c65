"""One real Rasa + action server stack for all end-to-end tests of the session."""
import pytest

from tests.stack import BotStack, trained_model


@pytest.fixture(scope="session")
def model_path() -> str:
    return trained_model()


@pytest.fixture(scope="session")
def bot(model_path, tmp_path_factory) -> BotStack:
    stack = BotStack(tmp_path_factory.mktemp("stack")).start(model_path)
    yield stack
    stack.stop()


def started_prod_stack():
    """``make run-prod`` (bench.stacks.Stack) on throw-away databases, started; skipped where
    PostgreSQL, Redis or nginx are missing, unless CI requires them (REQUIRE_POSTGRES)."""
    import os

    from bench.stacks import Stack

    server = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    os.environ.setdefault("BENCH_POSTGRES_URL", server.rsplit("/", 1)[0])
    stack = Stack("prod", trained_model())
    try:
        return stack.start()
    except Exception as e:  # no PostgreSQL / Redis / nginx here: say so (CI requires them)
        if os.environ.get("REQUIRE_POSTGRES"):
            raise
        pytest.skip(f"production stack unavailable: {e}")
