"""With the action server down the citizen still gets a reply, in their language (issue 13:
silent failures). Starts a real Rasa server and action server, then stops the action server."""
import pytest

from tests.stack import BotStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def stack_without_actions(model_path, tmp_path_factory):
    stack = BotStack(tmp_path_factory.mktemp("no-actions")).start(model_path)
    actions = stack.procs[0]
    actions.terminate()
    actions.wait(timeout=20)
    yield stack
    stack.stop()


@pytest.mark.parametrize("lang,text,expected", [
    ("zh", "护照怎么办理？", "系统暂时无法查询"),
    ("en", "How do I apply for a passport?", "can't look that up right now"),
])
def test_a_failing_action_server_gets_an_apology_in_the_citizens_language(stack_without_actions, lang, text, expected):
    replies = stack_without_actions.say(f"down-{lang}", text)
    joined = " ".join(r.get("text", "") for r in replies)
    assert expected in joined and "12345" in joined
    assert sum(expected in r.get("text", "") for r in replies) == 1  # one apology, not one per action
    assert stack_without_actions.tracker(f"down-{lang}")["slots"]["language"] == lang
