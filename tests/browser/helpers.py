"""Small helpers to drive the chat widget (it lives in an open shadow root, which Playwright's CSS
and role locators pierce)."""
from __future__ import annotations

import re

CJK = re.compile(r"[\u3400-\u9fff]")

# the visible text of each bot message after the n-th (screen-reader-only labels left out)
_BOT_TEXTS = """([n]) => {
  const root = document.querySelector('#govassist-webchat').shadowRoot;
  return [...root.querySelectorAll('.gw-msg.gw-bot:not(.gw-welcome)')].slice(n).map(m => {
    const c = m.cloneNode(true);
    c.querySelectorAll('.gw-sr, .gw-qr').forEach(x => x.remove());
    return c.textContent;
  });
}"""

_REPLIED = """([n]) => {
  const host = document.querySelector('#govassist-webchat');
  if (!host) return false;
  const root = host.shadowRoot;
  return root.querySelectorAll('.gw-msg.gw-bot:not(.gw-welcome)').length > n
      && root.querySelector('.gw-typing').hidden;
}"""


def has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def cjk_share(text: str) -> float:
    cjk = len(CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def is_chinese(text: str) -> bool:
    """Mostly Chinese (an English name or URL in it is fine)."""
    return cjk_share(text) > 0.5


def is_english(text: str) -> bool:
    """Mostly English (a Chinese proper name in it, like 移民局, is fine)."""
    return cjk_share(text) < 0.15


def wait_ready(page) -> None:
    """The widget has started (its sender id comes with the first message: ``sender`` is null until then)."""
    page.wait_for_function("() => window.GovAssistChat && typeof window.GovAssistChat.send === 'function'")


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)


def bot_count(page) -> int:
    return page.locator(".gw-msg.gw-bot:not(.gw-welcome)").count()


def bot_texts(page, after: int = 0) -> list[str]:
    return page.evaluate(_BOT_TEXTS, [after])


def wait_replies(page, before: int, timeout: float = 90_000) -> list[str]:
    page.wait_for_function(_REPLIED, arg=[before], timeout=timeout)
    return bot_texts(page, before)


def ask(page, text: str, timeout: float = 90_000) -> list[str]:
    """Types ``text``, presses Enter and returns the texts of the bot's new messages."""
    before = bot_count(page)
    box = page.locator(".gw-input")
    box.fill(text)
    box.press("Enter")
    return wait_replies(page, before, timeout)


def click_reply(page, title: str, timeout: float = 90_000) -> list[str]:
    """Clicks the last quick-reply button titled ``title``; returns the bot's new messages."""
    before = bot_count(page)
    page.locator(".gw-qr-btn", has_text=title).last.click()
    return wait_replies(page, before, timeout)


def user_texts(page) -> list[str]:
    return page.locator(".gw-msg.gw-user .gw-bubble").all_text_contents()


def sender(page) -> str | None:
    return page.evaluate("() => window.GovAssistChat.sender")
