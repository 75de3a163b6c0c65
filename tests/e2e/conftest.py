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
