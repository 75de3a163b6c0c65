"""One decision per message, from the intent classifier, the search and the semantic evidence.

``decide()`` is pure: evidence in, ``Decision`` out, with the reason in words for the logs. The
Rasa component (bot/components/understanding.py) gathers the evidence and applies the decision;
the actions read the decision's candidates from the parse data instead of searching again.

Wrong service is the worst outcome, so a service is taken only when the evidence agrees; where it
is split the citizen is asked (candidates), and a refusal stays a refusal only when nothing in the
knowledge base is plausible.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import yaml

from bot.understanding.scope import ScopeCue
from bot.understanding.semantic import OUT_OF_SCOPE, SMALL_TALK, SemanticEvidence
from bot.understanding.topics import BroadTopic

THRESHOLDS_FILE = Path(__file__).with_name("decision.yml")
SERVICE_INTENT_PREFIX = "ask_"


@lru_cache(maxsize=4)
def thresholds(path: str = str(THRESHOLDS_FILE)) -> Dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


@dataclass(frozen=True)
class Evidence:
    """What is known about one message before the decision."""

    intent: str
    confidence: float
    service: Optional[str] = None                 # the resolver's service mention
    service_score: float = 0.0
    lexical: Tuple[Tuple[str, float], ...] = ()   # search ranking of services
    aspect_intent: str = "ask_overview"           # the service question to ask if one is taken
    asks_for_human: bool = False                  # the words ask for a person (``asks_for_human``)
    semantic: Optional[Callable[[], Optional[SemanticEvidence]]] = None  # computed only if needed
    is_payload: bool = False
    follow_up_aspect: Optional[str] = None        # a short fragment asking about one aspect ("要啥条件")
    trailing_follow_up: Optional[str] = None      # ... ending a remark ("ok they'll go together. where")
    to_assistant: bool = False                    # the words address the assistant ("where are you")
    outside: Optional[ScopeCue] = None            # wording outside the catalogue ("renew my US passport")
    topic: Optional[BroadTopic] = None            # the message only names a broad topic ("养老", "question about hukou")
    small_talk: Optional[str] = None              # the small-talk topic its words have ("你会说English吗": languages)
    focus: Optional[str] = None                   # of services the search scores alike, the one the question names
    told: frozenset = frozenset()                 # the life events the message tells ("想开个奶茶店": new_business)


@dataclass(frozen=True)
class Decision:
    intent: str
    confidence: float
    service: Optional[str]
    candidates: Tuple[str, ...] = ()
    reason: str = "kept"
    semantic: Dict[str, Any] = field(default_factory=dict)

    def changed(self, evidence: Evidence) -> bool:
        return (self.intent != evidence.intent or self.service != evidence.service
                or abs(self.confidence - evidence.confidence) > 1e-6)

    def as_dict(self) -> Dict[str, Any]:
        return {"intent": self.intent, "service": self.service, "candidates": list(self.candidates),
                "reason": self.reason, "semantic": self.semantic}


@lru_cache(maxsize=4)
def _handoff_patterns(path: str = str(THRESHOLDS_FILE)) -> Tuple["re.Pattern", ...]:
    return tuple(re.compile(p) for p in thresholds(path).get("handoff_cues") or [])


def asks_for_human(text: str) -> bool:
    """The message asks for a person ("转人工", "I want to talk to a person"), by the cue list in
    decision.yml; Traditional input is read as Simplified."""
    from knowledge_base.text import to_simplified

    norm = to_simplified(text or "").lower()[:500]
    return any(p.search(norm) for p in _handoff_patterns())


def _is_service_question(intent: str) -> bool:
    return intent.startswith(SERVICE_INTENT_PREFIX) or intent == "inform_service"


def _lexical_rank(lexical: Sequence[Tuple[str, float]], service: str, top: int = 3) -> float:
    for sid, score in list(lexical)[:top]:
        if sid == service:
            return score
    return 0.0


def _candidates(ev: Evidence, sem: Optional[SemanticEvidence], cfg: Dict[str, Any]) -> Tuple[str, ...]:
    ask = cfg["ask"]
    found = [sid for sid, score in ev.lexical if score >= ask["lexical"]]
    if sem is not None:
        ranked = sem.ranked_services()
        if ranked:
            best = ranked[0][1]
            found += [sid for sid, score in ranked if score >= best - ask["within"]]
    return tuple(dict.fromkeys(found))[: ask["max_candidates"]]


def _topic_candidates(topic: BroadTopic, lexical: Sequence[Tuple[str, float]],
                      cfg: Dict[str, Any]) -> Tuple[str, ...]:
    """The topic's services, those the message's words rank higher first (a stable sort)."""
    scores = dict(lexical)
    ranked = sorted(topic.services, key=lambda sid: -float(scores.get(sid, 0.0)))
    return tuple(ranked[: cfg["ask"]["max_candidates"]])


def _gate(sem: Optional[SemanticEvidence]) -> float:
    """The scope gate's out-of-scope probability (0 when there is no gate or no meaning)."""
    return (sem.out_of_scope_probability or 0.0) if sem is not None else 0.0


def _gate_refusal(sem: SemanticEvidence, ev: Evidence, why: str) -> Decision:
    return Decision("out_of_scope", max(ev.confidence, _gate(sem)), None,
                    reason=f"{why} (scope gate {_gate(sem):.2f})", semantic=sem.as_dict())


def _asks_elsewhere(sem: SemanticEvidence, cfg: Dict[str, Any], branch: str) -> bool:
    """The message's nearest examples are refusals rather than service wording, by the branch's
    margin (``refusal_margin`` in decision.yml; off when the margin or the setting is missing)."""
    limit = (cfg.get("refusal_margin") or {}).get(branch)
    return limit is not None and sem.refusal_margin is not None and sem.refusal_margin >= limit


def _nearest_say_in_scope(sem: Optional[SemanticEvidence], cfg: Dict[str, Any]) -> bool:
    """The gate's verdict is overruled when the nearest examples are plainly service questions
    ("I lost my wallet and my ID card was in it": the gate reads "lost wallet", the nearest texts
    are ID-card replacements); ``scope_gate.overruled_below`` in decision.yml, off when unset."""
    limit = (cfg.get("scope_gate") or {}).get("overruled_below")
    return (limit is not None and sem is not None and sem.refusal_margin is not None
            and sem.refusal_margin <= limit)


def _margin_refusal(sem: SemanticEvidence, ev: Evidence, why: str) -> Decision:
    return Decision("out_of_scope", max(ev.confidence, _gate(sem)), None,
                    reason=f"{why} (refusal margin {sem.refusal_margin:+.3f})", semantic=sem.as_dict())


def decide(ev: Evidence, cfg: Optional[Dict[str, Any]] = None) -> Decision:
    """The decision for one message (see the module docstring)."""
    cfg = cfg or thresholds()
    keep = Decision(ev.intent, ev.confidence, ev.service)
    if ev.is_payload:
        return keep
    if ev.asks_for_human:
        # whatever the classifier said, and however unsure it was: a request for a person is never
        # read as small talk or refused ("I want to talk to a person" resembles "talk to me")
        return Decision("human_handoff", max(ev.confidence, 0.9), None, reason="asks for a person")
    if ev.outside is not None and ev.outside.applies_to(ev.service):
        # "renew my US passport at the embassy", "帮我算增值税", "agencies' fees": a catalogue word
        # in a request no public service here answers (families in scope_cues.yml)
        return Decision("out_of_scope", max(ev.confidence, cfg["fallback_confidence"]), None,
                        reason=f"the wording is outside the catalogue ({ev.outside.family})")
    if (ev.small_talk in (cfg.get("small_talk_over_faint") or ()) and not ev.topic
            and _is_service_question(ev.intent) and ev.service_score < cfg["strong_lexical"]):
        # "你会说English吗", "are you a robot or a real civil servant": a question to the assistant
        # whose words touch a service only faintly is small talk, not that service
        return Decision("chitchat", max(ev.confidence, cfg["fallback_confidence"]), None,
                        reason=f"small talk about the assistant ({ev.small_talk}) with at most a faint service word")
    if ev.topic is not None:
        # "养老", "question about hukou", "刚被辞退了", "we're starting a business": a topic or life
        # event that fits several services and nothing more; the counter would ask which one
        candidates = _topic_candidates(ev.topic, ev.lexical, cfg)
        if len(candidates) >= 2:
            intent = ev.aspect_intent if _is_service_question(ev.aspect_intent) else "ask_overview"
            return Decision(intent, max(ev.confidence, cfg["fallback_confidence"]), None, candidates,
                            reason=f"a broad topic ({ev.topic.name}) that fits several services: ask")
    refused = ev.intent in cfg["refusals"]
    unsure = ev.confidence < cfg["fallback_confidence"]
    service_question = _is_service_question(ev.intent)
    faint = bool(ev.service) and ev.service_score < cfg["strong_lexical"]
    if ev.follow_up_aspect and (refused or unsure or (ev.intent == "chitchat" and not ev.to_assistant)
                                or (service_question and (not ev.service or faint))):
        # "要啥条件", "what docs", "要幾耐": too short for the classifier, plain to a person who
        # knows what the conversation is about; the actions read it with that service (the
        # fragment names no service or alias, so a search hit on its few words is noise)
        return Decision(SERVICE_INTENT_PREFIX + ev.follow_up_aspect, max(ev.confidence, cfg["fallback_confidence"]),
                        None, reason=f"a short follow-up about {ev.follow_up_aspect}: the conversation decides")
    if (ev.trailing_follow_up and ev.semantic is not None and not ev.service
            and (refused or unsure or (ev.intent == "chitchat" and not ev.to_assistant) or service_question)):
        # "ok they'll go together. where": a remark, then a fragment; unless the remark's meaning is
        # outside the catalogue ("南航的航班延误了，改签要不要加钱")
        sem = ev.semantic()
        if (sem is not None and _gate(sem) < cfg["scope_gate"]["trailing_follow_up"]
                and not _asks_elsewhere(sem, cfg, "faint")):
            return Decision(SERVICE_INTENT_PREFIX + ev.trailing_follow_up,
                            max(ev.confidence, cfg["fallback_confidence"]), None, semantic=sem.as_dict(),
                            reason=f"a remark, then a follow-up about {ev.trailing_follow_up}: the conversation decides")

    if service_question and ev.service and not unsure:
        if ev.semantic is None:
            return keep
        if ev.service_score >= cfg["trusted_lexical"]:
            trusted_gate = cfg["scope_gate"].get("trusted")
            if trusted_gate is None:
                return keep
            sem = ev.semantic()  # a named service in a request for something else ("a lawyer for my divorce")
            if _gate(sem) >= trusted_gate:
                return _gate_refusal(sem, ev, "a named service in a message whose meaning is outside the catalogue")
            return Decision(ev.intent, ev.confidence, ev.service, reason="kept: trusted service mention",
                            semantic=sem.as_dict() if sem else {})
        sem = ev.semantic()
        limit = cfg["scope_gate"]["strong" if ev.service_score >= cfg["strong_lexical"] else "faint"]
        if _gate(sem) >= limit and not _nearest_say_in_scope(sem, cfg) and not _told_for(ev, cfg):
            return _gate_refusal(sem, ev, "a service word in a message whose meaning is outside the catalogue")
        if sem is not None and ev.service_score >= cfg["strong_lexical"]:
            other = SMALL_TALK if sem.score(SMALL_TALK) > sem.score(OUT_OF_SCOPE) else OUT_OF_SCOPE
            if _resembles(sem, other, cfg["reject_strong"]):  # "what's your name?", "will it be windy"
                return Decision("chitchat" if other == SMALL_TALK else "out_of_scope", sem.score(other), None,
                                reason=f"a service word in a message whose meaning is plainly {other[1:]}",
                                semantic=sem.as_dict())
            if _asks_elsewhere(sem, cfg, "strong"):  # "a nice restaurant near the marriage registry"
                return _margin_refusal(sem, ev, "a service word in a request whose nearest examples are refusals")
            return Decision(ev.intent, ev.confidence, ev.service, reason="kept: strong service mention",
                            semantic=sem.as_dict())
        if sem is not None and _resembles(sem, OUT_OF_SCOPE, cfg["reject"]):
            return Decision("out_of_scope", max(ev.confidence, sem.score(OUT_OF_SCOPE)), None,
                            reason="a faint service mention in a message that resembles out-of-scope "
                                   "requests more than any service", semantic=sem.as_dict())
        if sem is not None and _resembles(sem, SMALL_TALK, cfg["reject_strong"]):
            return Decision("chitchat", sem.score(SMALL_TALK), None,
                            reason="a faint service mention in plain small talk", semantic=sem.as_dict())
        if sem is not None and _asks_elsewhere(sem, cfg, "faint"):  # "is it hard to take a driving test in Japan"
            return _margin_refusal(sem, ev, "a faint service mention in a request whose nearest examples are refusals")
        return Decision(ev.intent, ev.confidence, ev.service, reason="kept: semantic evidence does not object",
                        semantic=sem.as_dict() if sem else {})

    if service_question and ev.service and unsure and ev.semantic is not None:
        # "what docs to register as an individual business": the classifier unsure, the words and
        # the meaning agree on one service and nothing says elsewhere: answer instead of falling back
        sem = ev.semantic()
        if (sem is not None and ev.service_score >= cfg["ask"]["lexical"] and sem.best_service()[0] == ev.service
                and _gate(sem) < cfg["scope_gate"]["faint"] and not _asks_elsewhere(sem, cfg, "faint")
                and not _resembles(sem, OUT_OF_SCOPE, cfg["reject"])):
            return Decision(ev.intent, cfg["fallback_confidence"], ev.service, semantic=sem.as_dict(),
                            reason="an unsure service question whose words and meaning agree on its service")
    if ev.service and not refused:
        return keep  # a confident non-service intent that still names a service: actions decide
    if service_question and not unsure:
        # "how long does it take": a follow-up whose service only the conversation knows. The
        # actions read it with the context; here only the search's candidates are passed on.
        candidates = tuple(sid for sid, score in ev.lexical if score >= cfg["ask"]["lexical"])
        sem = ev.semantic() if ev.semantic is not None else None  # for the actions' reading of context
        if _gate(sem) >= cfg["scope_gate"]["no_service"]:  # "how much does LASIK cost"
            return _gate_refusal(sem, ev, "a question about something outside the catalogue")
        picked = _meaning_breaks_tie(ev, sem, candidates, cfg)
        if picked:
            # "school says we need a certificate that we don't own any property": the words fit
            # school enrolment and the certificate alike, the meaning is plainly the certificate
            return Decision(ev.intent, ev.confidence, picked, candidates[: cfg["ask"]["max_candidates"]],
                            reason=f"the words tie between services; the meaning picks {picked}",
                            semantic=sem.as_dict())
        if (sem is not None and len(candidates) < 2 and not ev.follow_up_aspect
                and _asks_elsewhere(sem, cfg, "no_service")):
            # "any job openings at Tencent?" (where the words name several services, "I lost my
            # card", the citizen is asked instead)
            return _margin_refusal(sem, ev, "a question naming no service whose nearest examples are refusals")
        return Decision(ev.intent, ev.confidence, None, candidates[: cfg["ask"]["max_candidates"]],
                        reason="a service question naming no service: the conversation decides",
                        semantic=sem.as_dict() if sem else {})
    if ev.intent == "chitchat" and not unsure and ev.semantic is not None:
        sem = ev.semantic()  # "play my playlist", "will it rain": a task, not a chat
        if sem is not None and _resembles_more(sem, OUT_OF_SCOPE, SMALL_TALK, cfg["not_small_talk"]):
            return Decision("out_of_scope", sem.score(OUT_OF_SCOPE), None,
                            reason="taken for small talk, but resembles out-of-scope requests",
                            semantic=sem.as_dict())
        return keep
    if not (refused or unsure or service_question) or ev.semantic is None:
        return keep
    if ev.intent in cfg["small_talk_intents"] and not unsure:
        return keep
    sem = ev.semantic()
    if sem is None:
        return keep
    info = sem.as_dict()
    best, best_score = sem.best_service()
    margin = sem.service_margin
    rescue = cfg["rescue"]
    strong = [sid for sid, score in ev.lexical if score >= cfg["strong_lexical"]]
    if ((refused or unsure) and ev.service and ev.lexical and ev.service != ev.lexical[0][0]
            and (ev.service in strong or ev.service in _close(ev.lexical, cfg))
            and best == ev.service and _gate(sem) < cfg["scope_gate"]["faint"]):
        # "身份证找不着了……临时身份证咋个办", "想给他办张身份证 户口本要带吗": the story (or a
        # document to bring) names one service, the question another; the search's question focus
        # picked the question's over a mention that scores as high or higher, and the meaning
        # agrees: answer it rather than ask which one
        intent = ev.aspect_intent if _is_service_question(ev.aspect_intent) else "ask_overview"
        return Decision(intent, max(ev.confidence, cfg["fallback_confidence"]), ev.service, semantic=info,
                        reason="the words name several services; the question and its meaning pick one")
    if (len(strong) >= 2 and (refused or unsure) and ev.focus in strong and _gate(sem) < cfg["scope_gate"]["faint"]
            and not _asks_elsewhere(sem, cfg, "faint")):
        # "我同老公喺江州登記結婚，而家想協議離婚，要幾耐": the words name two services about as
        # plainly; the question (or the request it follows) names one of them
        intent = ev.aspect_intent if _is_service_question(ev.aspect_intent) else "ask_overview"
        return Decision(intent, max(ev.confidence, cfg["fallback_confidence"]), ev.focus, semantic=info,
                        reason="the words name several services; the question names one")
    if len(strong) >= 2 and (refused or unsure):  # "I lost my card": the words name several services
        return Decision(ev.aspect_intent, max(ev.confidence, cfg["fallback_confidence"]), None,
                        tuple(strong[: cfg["ask"]["max_candidates"]]),
                        reason="the words name several services: ask", semantic=info)
    distinct = _distinct(sem, ev.lexical, best, rescue)
    if (best and distinct and margin >= rescue["agree_margin"]
            and _lexical_rank(ev.lexical, best) >= rescue["agree_lexical"]):
        return Decision(ev.aspect_intent, max(best_score, ev.confidence), best,
                        reason=f"search and meaning agree on {best}", semantic=info)
    if best and distinct and margin >= rescue["alone_margin"] and best_score >= rescue["alone_similarity"]:
        return Decision(ev.aspect_intent, best_score, best, reason=f"meaning clearly close to {best}",
                        semantic=info)
    first = rescue.get("both_first_margin")
    if (first is not None and best and ev.lexical and ev.lexical[0][0] == best and ev.aspect_intent != "ask_overview"
            and ev.lexical[0][1] >= cfg["ask"]["lexical"] and sem.refusal_margin is not None
            and sem.refusal_margin <= first and _gate(sem) < cfg["scope_gate"]["faint"]):
        # "我們的公司要結束營業了，辦註銷登記的窗口中午有休息嗎": the words and the meaning both rank
        # one service first, each only a little ahead, the nearest examples are service questions, and
        # the message asks something of it (a bare story, "屋企老人家冇收入", is asked about instead)
        return Decision(ev.aspect_intent, max(ev.confidence, cfg["fallback_confidence"]), best, semantic=info,
                        reason=f"search and meaning both rank {best} first")
    led = _search_leads(ev, sem, cfg)
    if led:
        # "hw much for a brand new chinese passport? my gf never had one": the words plainly name one
        # service, the meaning ranks it among its nearest and nothing says elsewhere: answer it
        return Decision(ev.aspect_intent, max(ev.confidence, cfg["fallback_confidence"]), led, semantic=info,
                        reason=f"the search plainly leads with {led} and the meaning does not object")
    if refused or unsure:
        if _resembles(sem, SMALL_TALK, cfg["small_talk"]) and sem.score(SMALL_TALK) >= sem.score(OUT_OF_SCOPE):
            return Decision("chitchat", sem.score(SMALL_TALK), None, reason="resembles small talk", semantic=info)
    candidates = _candidates(ev, sem, cfg)
    lexical_support = any(score >= cfg["ask"]["lexical"] for _, score in ev.lexical)
    if margin >= cfg["ask"]["margin"] and lexical_support and len(candidates) >= 2:
        return Decision(ev.aspect_intent, max(ev.confidence, cfg["fallback_confidence"]), None, candidates,
                        reason="evidence split between services: ask", semantic=info)
    if refused:  # a refusal stays a refusal, with no service attached
        return Decision(ev.intent, ev.confidence, None, reason="kept: nothing plausible", semantic=info)
    return Decision(ev.intent, ev.confidence, ev.service, candidates if service_question else (),
                    reason="kept", semantic=info)


def _told_for(ev: Evidence, cfg: Dict[str, Any]) -> bool:
    """The message names its service plainly (``strong_lexical``) and tells a life event that
    service belongs to ("想开个getihu奶茶店": opening a shop, the sole-trader licence): the scope
    gate's reading of the story's details (a milk-tea shop) does not make it a request for them."""
    from bot.understanding.topics import life_events_of

    return (bool(ev.told) and bool(ev.service) and ev.service_score >= cfg["strong_lexical"]
            and bool(life_events_of(ev.service) & ev.told))


def _search_leads(ev: Evidence, sem: SemanticEvidence, cfg: Dict[str, Any]) -> Optional[str]:
    """The search's first service when it leads plainly (``lead`` in decision.yml: a score and a
    gap to the next service), the meaning ranks it within ``lead.within`` of its best service, the
    nearest service wording is closer than the nearest refusals by ``lead.refusal_margin`` and the
    scope gate does not object."""
    lead = cfg.get("lead")
    if not lead or not ev.lexical or not _is_service_question(ev.aspect_intent):
        return None
    top, score = ev.lexical[0]
    second = ev.lexical[1][1] if len(ev.lexical) > 1 else 0.0
    if score < lead["lexical"] or score - second < lead["gap"]:
        return None
    ranked = dict(sem.ranked_services())
    best = sem.best_service()[1]
    if top not in ranked or ranked[top] < best - lead["within"]:
        return None
    if (_gate(sem) >= cfg["scope_gate"]["faint"] or sem.refusal_margin is None
            or sem.refusal_margin > lead["refusal_margin"] or _resembles(sem, OUT_OF_SCOPE, cfg["reject"])):
        return None
    return top


def _close(lexical: Sequence[Tuple[str, float]], cfg: Dict[str, Any]) -> Tuple[str, ...]:
    """The services the search scores about as high as its first (``focus_near_tie``), each at
    least as high as a candidate worth offering (``ask.lexical``)."""
    window = cfg.get("focus_near_tie")
    if window is None or not lexical:
        return ()
    top = float(lexical[0][1])
    return tuple(sid for sid, score in lexical if score >= top - window and score >= cfg["ask"]["lexical"])


def _meaning_breaks_tie(ev: Evidence, sem: Optional[SemanticEvidence], candidates: Sequence[str],
                        cfg: Dict[str, Any]) -> Optional[str]:
    """Of two or more services the search scores about alike (``focus_near_tie``), the one the
    meaning clearly prefers (``rescue.distinct`` ahead of the next service), if the message is
    not a short follow-up and nothing says it is out of scope."""
    if sem is None or len(candidates) < 2 or ev.follow_up_aspect:
        return None
    close = set(_close(ev.lexical, cfg)) & set(candidates)
    ranked = sem.ranked_services()
    if len(close) < 2 or len(ranked) < 2 or ranked[0][0] not in close:
        return None
    if ranked[0][1] - ranked[1][1] < cfg["rescue"]["distinct"] or _gate(sem) >= cfg["scope_gate"]["faint"]:
        return None
    return ranked[0][0]


def _distinct(sem: SemanticEvidence, lexical: Sequence[Tuple[str, float]], best: Optional[str],
              cfg: Dict[str, float]) -> bool:
    """The best service stands out, by meaning or by words (not a near-tie: then ask)."""
    ranked = sem.ranked_services()
    if len(ranked) < 2 or ranked[0][1] - ranked[1][1] >= cfg["distinct"]:
        return True
    scores = [score for sid, score in lexical]
    return bool(lexical) and lexical[0][0] == best and (len(scores) < 2 or scores[0] - scores[1] >= cfg["lexical_gap"])


def _resembles_more(sem: SemanticEvidence, label: str, other: str, cfg: Dict[str, float]) -> bool:
    """``label``'s nearest text is close, and closer by a margin than ``other``'s."""
    return sem.score(label) >= cfg["similarity"] and sem.score(label) - sem.score(other) >= cfg["margin"]


def _resembles(sem: SemanticEvidence, label: str, cfg: Dict[str, float]) -> bool:
    """``label``'s nearest text is close, and closer by a margin than the nearest service's."""
    score = sem.score(label)
    return score >= cfg["similarity"] and score - sem.best_service()[1] >= cfg["margin"]
