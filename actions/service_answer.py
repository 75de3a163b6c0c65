"""Answers a question about a service and aspect from the knowledge base."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import formatting
from actions.common import (
    KnowledgeBaseAction,
    earlier_user_texts,
    language,
    latest_entity,
    latest_entity_confidence,
    latest_text,
    previous_user_text,
    slot_before_latest_message,
    understanding_of,
)
from actions.offices import office_messages
from bot.understanding.context import (
    announces_another_need,
    aspect_asked_of_previous,
    families,
    family_groups,
    named_as_condition,
    pick_candidate,
    refine,
    service_in_the_story,
    situation_pick,
    situation_services,
    with_groups,
)
from bot.understanding.focus import only_as_material
from bot.understanding.topics import told_events

ASPECT_INTENTS = {f"ask_{a}": a for a in ("overview", "how", "materials", "where", "who", "fee",
                                          "duration", "hours", "online", "eligibility")}
FAQ_MIN_SCORE = 0.75
CLARIFY_MIN_SCORE = 0.3
RANK_LIMIT = 20  # services ranked when weighing a reply against the offered ones
CANDIDATE_SCORE = 0.12  # a reply's own words this close to a service point to it
OFFERED_MARGIN = 0.05  # a reply read with our question must point to one offered service by this much
STORY_TIE = 0.25  # a sibling of the life event under discussion this close in the search is what is meant
NAMED_OVER_OFFERED = 0.3  # a reply naming another service this far above every offered one means it
FOLLOW_UP_CONFIDENCE = 0.9  # a refused follow-up the classifier was this sure was a service question
NO_SERVICE_MARGIN_REASON = "a question naming no service whose nearest examples are refusals"  # decision.py
CONTEXT_SWITCH_SCORE = 0.6
TRUSTED_MENTION = 0.9  # a search score this high is the service's own name or alias (decision.yml trusted_lexical)
MAX_CHOICES = 4
STATEMENT_INTENTS = ("inform_service", "ask_overview")
SIBLING_TIE = 0.15  # sibling services this close in the search are settled by the previous message
OUTSIDE_REASON = "the wording is outside the catalogue"  # bot/understanding/decision.py  # "actually I lost it": may refine by meaning
_SIBLINGS: list = [None, {}]  # [content version, sibling services]
# The footer offers the first four of these aspects that was not just answered, then the rating.
FOOTER_ASPECTS = ("materials", "where", "fee", "online", "how", "duration")
FOOTER_ASPECT_BUTTONS = 4
RATING_PAYLOAD = '/rate{{"rating":"{rating}"}}'


def _lexical_score(tracker: Tracker, service: str) -> float:
    """The search score of ``service`` for the latest message (0 when it is not ranked)."""
    lexical = dict(tuple(x) for x in (understanding_of(tracker).get("evidence") or {}).get("lexical") or [])
    return float(lexical.get(service) or 0.0)


def footer_buttons(answered: Optional[str], lang: str) -> List[Dict[str, str]]:
    """The footer's buttons: the next aspects to ask about (leaving out ``answered``) and 👍/👎,
    titled from actions/locale.yml."""
    words = formatting.words(lang)
    aspects = [a for a in FOOTER_ASPECTS if a != answered][:FOOTER_ASPECT_BUTTONS]
    return ([{"title": words["aspect_buttons"][a], "payload": f"/ask_{a}"} for a in aspects]
            + [{"title": words["rating_buttons"][r], "payload": RATING_PAYLOAD.format(rating=r)}
               for r in ("up", "down")])


class ActionAnswerService(KnowledgeBaseAction):
    """Short answer first, then the source, the verified date and buttons for details."""

    def name(self) -> Text:
        return "action_answer_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        lang = language(tracker)
        text = latest_text(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        aspect = ASPECT_INTENTS.get(intent) or cued_aspect(tracker) or tracker.get_slot("aspect") or "overview"
        entity = self._service_mention(tracker, intent)
        if entity and text.startswith("/") and entity not in self.kb.known_ids()["service"]:
            return []  # a payload's unknown id: action_validate_slot_mappings refused it and said so
        previous = slot_before_latest_message(tracker, "service")
        entity = self._among_offered(tracker, entity, text, lang)
        entity = self._with_earlier_words(tracker, entity, text, lang)
        entity = self._own_situation(entity, text, lang)
        if not text.startswith("/") and (not entity or (previous and (self._inferred(tracker)
                                                                      or self._faint_outsider(tracker, entity, previous)))):
            # no service named, one only inferred from meaning, or a faint mention outside the
            # family under discussion ("不对，是丢了，不是过期" after an ID card renewal): the
            # conversation speaks first
            entity = self._from_context(tracker, previous, intent) or entity
        service_id = entity or previous or tracker.get_slot("service")

        if intent in ASPECT_INTENTS and not text.startswith("/"):
            faq = self._strong_faq(text, lang)
            if faq is not None:
                return self._answer_faq(dispatcher, faq, lang)

        if not service_id:
            return self._resolve_unknown_service(dispatcher, tracker, text, lang)
        if not entity and not understanding_of(tracker).get("follow_up") and self._names_other_services(
                text, service_id, lang):
            return self._resolve_unknown_service(dispatcher, tracker, text, lang)

        return self._respond(dispatcher, tracker, service_id, aspect, lang)

    def _respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, service_id: str, aspect: str,
                 lang: str) -> List[EventType]:
        """The answer about ``service_id``'s ``aspect``, its footer, and the slots it sets."""
        service = self.kb.service(service_id)
        if service is None:
            dispatcher.utter_message(response="reply_ask_service")
            return [SlotSet("service", None)]
        with self.kb.session() as session:
            answered = self._answer(dispatcher, session, service, aspect, lang, tracker)
        if answered:
            self._footer(dispatcher, service, lang, aspect)
        return [SlotSet("service", service.id), SlotSet("aspect", aspect), SlotSet("failed_turns", 0.0),
                SlotSet("candidates", None)]

    def _among_offered(self, tracker: Tracker, entity: Optional[str], text: str, lang: str) -> Optional[str]:
        """A typed reply to offered buttons ("the ID card" after "I lost my card") is read together
        with the question that led to them: the offered service their words rank first."""
        offered = tracker.get_slot("candidates") or []
        if not offered or text.startswith("/"):
            return entity
        combined = f"{previous_user_text(tracker)} {text}".strip()
        ranking = [(sid, score) for sid, score in self.kb.rank_services(combined, lang=lang)
                   if score >= CLARIFY_MIN_SCORE]
        if entity and entity not in offered and not (self.siblings().get(entity, set()) & set(offered)):
            # another service altogether is a switch, unless the question and this reply together
            # still point to an offered one ("residence permit" + "I'm a foreigner on a Z visa");
            # a service the reply names plainly ("where is the marriage office") stands
            named = _lexical_score(tracker, entity)
            if named >= CONTEXT_SWITCH_SCORE and named >= max(
                    (_lexical_score(tracker, sid) for sid in offered), default=0.0) + NAMED_OVER_OFFERED:
                return entity
            return ranking[0][0] if ranking and ranking[0][0] in offered else entity
        for sid, _ in ranking:
            if sid in offered:
                return sid
        return entity

    def _reply_to_offered(self, tracker: Tracker, text: str, lang: str) -> Optional[str]:
        """The offered service a typed reply to our buttons means when the classifier could not
        place it ("在外地出差的时候弄丢了" after "the ID card: which one?"): read with the question
        that led to the buttons, one offered service clearly first, and the reply itself pointing
        there (its own words rank it first, or it moves the evidence towards it): a reply about
        something else ("never mind, how do I rent a car") is not taken for an offered service."""
        offered = tracker.get_slot("candidates") or []
        if len(offered) < 2 or not text or text.startswith("/"):
            return None
        situated = self._situation_among(text, offered, lang)
        if situated:
            return situated
        earlier = previous_user_text(tracker)
        combined = self._offered_scores(f"{earlier} {text}".strip(), offered, lang)
        chosen = max(offered, key=lambda sid: combined[sid])
        if combined[chosen] < CLARIFY_MIN_SCORE or _lead(combined, chosen) < OFFERED_MARGIN:
            return None
        own = self.kb.rank_services(text, lang=lang, limit=RANK_LIMIT)
        own_top = own[0][1] if own else 0.0
        if own_top >= CANDIDATE_SCORE and dict(own).get(chosen, 0.0) >= own_top - OFFERED_MARGIN:
            return chosen  # the reply's own words rank it first (ties count)
        before = self._offered_scores(earlier, offered, lang)
        return chosen if _lead(combined, chosen) - _lead(before, chosen) >= OFFERED_MARGIN else None

    def _situation_among(self, text: str, choices: List[str], lang: str) -> Optional[str]:
        """The one of ``choices`` whose situation a reply describes ("我第一次申请" after "a first
        passport or a renewal?"), unless its own words point to another service."""
        picked = situation_pick(text, choices)
        if not picked:
            return None
        own = self.kb.rank_services(text, lang=lang, limit=RANK_LIMIT)
        if (own and own[0][1] >= TRUSTED_MENTION and own[0][0] not in choices
                and own[0][0] not in situation_services(text)):
            # another service named outright (not one the situation's own words fit; "I lost it"
            # also touches lost-card and lost-job wording, which names nothing)
            return None
        return picked

    def _offered_scores(self, text: str, offered: List[str], lang: str) -> Dict[str, float]:
        scores = dict(self.kb.rank_services(text, lang=lang, limit=RANK_LIMIT)) if text else {}
        return {sid: scores.get(sid, 0.0) for sid in offered}

    def _with_earlier_words(self, tracker: Tracker, entity: Optional[str], text: str, lang: str) -> Optional[str]:
        """A near-tie between sibling services ("register him in our hukou": a transfer or a
        newborn's registration?) is settled by the citizen's previous message read with this one
        ("we just had a baby!!"). Only while no service is under discussion: a correction ("I
        meant the Taiwan pass") names what it means."""
        if not entity or text.startswith("/") or slot_before_latest_message(tracker, "service"):
            return entity
        ranking = [tuple(x) for x in (understanding_of(tracker).get("evidence") or {}).get("lexical") or []]
        if not ranking:
            return entity
        top = ranking[0][1]
        rivals = {sid for sid, score in ranking[:3] if sid != entity and score >= top - SIBLING_TIE
                  and sid in self.siblings().get(entity, set())}
        earlier = previous_user_text(tracker)
        if not rivals or not earlier or earlier.startswith("/"):
            return entity
        for sid, _ in self.kb.rank_services(f"{earlier} {text}", lang=lang):
            if sid == entity or sid in rivals:
                return sid
        return entity

    def _faint_outsider(self, tracker: Tracker, entity: str, previous: str) -> bool:
        """The message's service is a faint mention of a service outside the family of the one
        under discussion: a refinement of the current service may explain its words better."""
        return (entity != previous and entity not in self.siblings().get(previous, set())
                and latest_entity_confidence(tracker, "service") < CONTEXT_SWITCH_SCORE
                and not announces_another_need(latest_text(tracker)))

    @staticmethod
    def _inferred(tracker: Tracker) -> bool:
        """The service entity was inferred by the decision layer, not named by the citizen."""
        return any(e.get("entity") == "service" and e.get("extractor") == "UnderstandingDecider"
                   for e in (tracker.latest_message or {}).get("entities", []) or [])

    def _from_context(self, tracker: Tracker, previous: Optional[str], intent: Optional[str]) -> Optional[str]:
        """The service a follow-up without its own service name means: one of the candidates
        offered on the last turn, or a sibling of the service under discussion."""
        understanding = understanding_of(tracker)
        ranking = [tuple(x) for x in (understanding.get("evidence") or {}).get("lexical") or []]
        offered = tracker.get_slot("candidates") or []
        text, lang = latest_text(tracker), language(tracker)
        if offered:
            chosen = (pick_candidate(offered, ranking, (understanding.get("semantic") or {}).get("services"),
                                     self.siblings())
                      or self._situation_among(text, offered, lang))
            if chosen:
                return chosen
        if previous:
            # a short fragment about one aspect ("要搵邊個部門") names no service: the search's hits on
            # its few words say nothing of the family; only a situation it describes does
            words = [] if understanding.get("follow_up") else ranking
            return refine(previous, words, self.siblings(), (understanding.get("semantic") or {}).get("services"),
                          statement=intent in STATEMENT_INTENTS, text=text) or self._situation_in_family(previous, text, lang)
        return None

    def _own_situation(self, entity: Optional[str], text: str, lang: str) -> Optional[str]:
        """The sibling of the service a message names whose situation the same message describes
        ("在外地把护照弄丢了，回来想补": a replacement, not a first passport; "wallet stolen with my
        ID card": the lost-card service), else the service named."""
        if not entity or text.startswith("/"):
            return entity
        return self._situation_in_family(entity, text, lang) or entity

    def _situation_of(self, service: str, text: str, lang: str) -> bool:
        """The message describes ``service``'s own situation, and of its family only that one
        ("补" for a lost passport's replacement), with no other service named outright."""
        return self._family_situation(service, text, lang) == service

    def _situation_in_family(self, previous: str, text: str, lang: str) -> Optional[str]:
        """The sibling of the service under discussion whose situation a follow-up describes
        ("it expired last month" after "my mum's ID card"), if not the current one."""
        if not self.siblings().get(previous):
            return None
        chosen = self._family_situation(previous, text, lang)
        return chosen if chosen != previous else None

    def _family_situation(self, service: str, text: str, lang: str) -> Optional[str]:
        """The one of ``service`` and its siblings whose situation the message describes."""
        return self._situation_among(text, [service, *sorted(self.siblings().get(service) or ())], lang)

    def siblings(self) -> Dict[str, set]:
        """Sibling services by shared names (recomputed when staff change the content)."""
        from knowledge_base import repository

        version = self.kb.content_version()
        if _SIBLINGS[0] != version:
            with self.kb.session() as session:
                services = repository.list_services(session)
            named = families({s.id: [s.name.zh, *s.aliases.zh] for s in services})
            _SIBLINGS[:] = [version, with_groups(named, family_groups())]
        return _SIBLINGS[1]

    def _strong_faq(self, text: str, lang: str):
        hits = self.kb.search(text, lang=lang, limit=3)
        if hits and hits[0].kind == "faq" and hits[0].score >= FAQ_MIN_SCORE:
            from knowledge_base import repository

            with self.kb.session() as session:
                return repository.get_faq(session, hits[0].id)
        return None

    def _answer_faq(self, dispatcher: CollectingDispatcher, faq, lang: str) -> List[EventType]:
        dispatcher.utter_message(response="reply_faq_answer", text_value=faq.answer.get(lang))
        events: List[EventType] = [SlotSet("failed_turns", 0.0), SlotSet("candidates", None)]
        if faq.service_id:
            service = self.kb.service(faq.service_id)
            if service is not None:
                self._footer(dispatcher, service, lang)
                events.append(SlotSet("service", service.id))
        return events

    def _service_mention(self, tracker: Tracker, intent: str):
        """The service the latest message names; a weak mention in a follow-up (审批要多久 after a
        loan question) does not replace the service under discussion."""
        entity = latest_entity(tracker, "service")
        previous = slot_before_latest_message(tracker, "service")
        if (entity and previous and entity != previous and not announces_another_need(latest_text(tracker))
                and only_as_material(latest_text(tracker), {entity, *(self.siblings().get(entity) or ())},
                                     self.kb.service_phrases())):
            return previous  # "护照肯定得带吧" about a visa extension: a document to bring for it
        if entity and previous and entity != previous and not self._named_outright(tracker, entity):
            story = self._service_in_the_story(tracker, entity)
            if story:
                return story  # "上户口要带啥" after "老婆前天生了个闺女": the newborn's registration
        if entity and previous and entity != previous and not announces_another_need(latest_text(tracker)) and (
                (intent != "inform_service" and latest_entity_confidence(tracker, "service") < CONTEXT_SWITCH_SCORE
                 and not self._describes_own_situation(tracker, entity))
                or self._follow_up_with_a_stray_word(tracker, entity)):
            return None
        if entity and previous and entity != previous and self._sibling_tie(tracker, entity, previous):
            return previous
        if entity and previous and entity != previous and named_as_condition(latest_text(tracker), entity):
            return previous  # "we don't have local hukou, is that ok": a condition of the service under discussion
        return entity

    def _sibling_tie(self, tracker: Tracker, entity: str, previous: str) -> bool:
        """The message's words fit the service under discussion about as well as its sibling
        ("去哪儿上户口" while a newborn's registration is discussed: the transfer ranks first only
        by a little): the conversation keeps its service, unless the message describes the
        sibling's situation ("其实是丢了") or announces a further need."""
        if entity not in (self.siblings().get(previous) or ()) or announces_another_need(latest_text(tracker)):
            return False
        if _lexical_score(tracker, previous) < _lexical_score(tracker, entity) - SIBLING_TIE:
            return False
        return situation_pick(latest_text(tracker), [previous, entity]) != entity

    def _service_in_the_story(self, tracker: Tracker, entity: str) -> Optional[str]:
        """The service of a life event told earlier in the conversation that the message's words fit
        about as well as the one they name (``STORY_TIE``; bot/understanding/context.py)."""
        named = _lexical_score(tracker, entity)
        lexical = (understanding_of(tracker).get("evidence") or {}).get("lexical") or []
        rivals = set(self.siblings().get(entity) or ()) | {sid for sid, _ in lexical}
        rivals = {sid for sid in rivals if _lexical_score(tracker, sid) >= named - STORY_TIE}
        events = set().union(*(told_events(t) for t in earlier_user_texts(tracker))) if rivals else set()
        return service_in_the_story(events, entity, rivals, latest_text(tracker),
                                    slot_before_latest_message(tracker, "service"))

    @staticmethod
    def _describes_own_situation(tracker: Tracker, entity: str) -> bool:
        """The message's search ranks ``entity`` first and describes its situation ("结婚后我hukou想
        迁到他那边" while the marriage is discussed: moving the hukou is the new question)."""
        lexical = (understanding_of(tracker).get("evidence") or {}).get("lexical") or []
        return bool(lexical) and lexical[0][0] == entity and entity in situation_services(latest_text(tracker))

    @staticmethod
    def _named_outright(tracker: Tracker, entity: str) -> bool:
        """The latest message names ``entity`` by its own name or alias (a trusted search score)."""
        return _lexical_score(tracker, entity) >= TRUSTED_MENTION

    @staticmethod
    def _follow_up_with_a_stray_word(tracker: Tracker, entity: str) -> bool:
        """A short follow-up ("what if I only rent", "要钱不") whose few words happen to touch another
        service, without naming it outright: the service under discussion stays."""
        if not understanding_of(tracker).get("follow_up"):
            return False
        return _lexical_score(tracker, entity) < TRUSTED_MENTION

    def _names_other_services(self, text: str, service_id: str, lang: str) -> bool:
        """True when the message (with no resolved service) strongly names other services than
        the one under discussion, e.g. "I lost my card" after a passport question."""
        if not text or text.startswith("/"):
            return False
        strong = [sid for sid, s in self.kb.rank_services(text, lang=lang) if s >= CONTEXT_SWITCH_SCORE]
        if not strong or service_id in strong:
            return False
        if all(named_as_condition(text, sid) for sid in strong):
            return False  # "i'm a foreigner working here, what's needed": a condition, not another request
        # a document to bring for the service under discussion ("does my birth certificate need
        # translating?" about a marriage) names no other request
        return not only_as_material(text, {sid for named in strong for sid in {named, *(self.siblings().get(named) or ())}},
                                    self.kb.service_phrases())

    def _resolve_unknown_service(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                                 lang: str) -> List[EventType]:
        """Offers the decision layer's candidates (or, without them, the search's) as buttons and
        remembers them, so that a typed reply on the next turn can still pick one."""
        understanding = understanding_of(tracker)
        candidates = list(understanding.get("candidates") or [])
        topic = bool(understanding.get("topic")) and len(candidates) >= 2  # "养老": a broad topic
        if len(candidates) < 2:
            candidates = [sid for sid, s in self.kb.rank_services(text, lang=lang) if s >= CLARIFY_MIN_SCORE]
        if len(candidates) >= 2:
            chosen = candidates[:MAX_CHOICES]
            dispatcher.utter_message(response="reply_clarify_topic" if topic else "reply_clarify_service",
                                     buttons=self.service_buttons(chosen, lang))
            return [SlotSet("candidates", chosen)]
        dispatcher.utter_message(response="reply_ask_service")
        return []

    def _answer(self, dispatcher: CollectingDispatcher, session, service, aspect: str, lang: str,
                tracker: Tracker) -> bool:
        """Sends the answer for ``aspect``; True when answered (the footer follows)."""
        name = service.name.get(lang)
        if aspect in ("where", "hours"):
            return office_messages(dispatcher, session, service, aspect, lang, tracker.get_slot("district"))
        if aspect == "who":
            self._who(dispatcher, session, service, lang)
        elif aspect == "online":
            response = "reply_service_online" if service.online.url else "reply_service_offline"
            dispatcher.utter_message(response=response, name=name, text_value=service.online.text.get(lang),
                                     url=service.online.url or "")
        elif aspect in ("how", "materials"):
            items = service.steps if aspect == "how" else service.materials
            dispatcher.utter_message(response=f"reply_service_{aspect}", name=name,
                                     items=formatting.numbered(items.get(lang), lang))
        else:
            field = {"overview": service.summary, "fee": service.fee, "duration": service.processing_time,
                     "eligibility": service.eligibility}[aspect]
            dispatcher.utter_message(response=f"reply_service_{aspect}", name=name, text_value=field.get(lang))
        return True

    def _who(self, dispatcher: CollectingDispatcher, session, service, lang: str) -> None:
        from knowledge_base import repository

        dept = repository.get_department(session, service.department_id)
        values = dict(name=service.name.get(lang), department=dept.name.get(lang), phone=dept.phone,
                      website=dept.website)
        if dept.hotline:
            dispatcher.utter_message(response="reply_service_who", hotline=dept.hotline, **values)
        else:
            dispatcher.utter_message(response="reply_service_who_no_hotline", **values)

    def _footer(self, dispatcher: CollectingDispatcher, service, lang: str,
                answered: Optional[str] = None) -> None:
        """Source, verified date and the buttons (the response itself has none: Rasa would append
        the action's buttons to them)."""
        dispatcher.utter_message(response="reply_service_footer", source_url=service.source_url,
                                 verified=formatting.long_date(service.last_verified, lang),
                                 buttons=footer_buttons(answered, lang))


def asked_aspect(tracker: Tracker) -> str:
    """The aspect the decision layer read in the latest message (overview if none)."""
    intent = (understanding_of(tracker).get("evidence") or {}).get("aspect_intent") or ""
    return ASPECT_INTENTS.get(intent) or "overview"


def cued_aspect(tracker: Tracker) -> Optional[str]:
    """The aspect the words of a message that is not an aspect question still ask about ("we
    don't have local hukou, is that ok": eligibility; "how does school registration work": how),
    or None when they ask about none in particular."""
    if not (understanding_of(tracker).get("evidence") or {}).get("aspect_cued"):
        return None
    aspect = asked_aspect(tracker)
    return None if aspect == "overview" else aspect


def _lead(scores: Dict[str, float], chosen: str) -> float:
    """How far ``chosen`` leads the best of the other services in ``scores``."""
    return scores[chosen] - max((v for sid, v in scores.items() if sid != chosen), default=0.0)


class ActionOutOfScope(ActionAnswerService):
    """A message the decision layer refused: the usual refusal, unless the conversation explains it
    as a refinement of the service under discussion ("actually I lost it last week" after an ID
    card renewal → the lost-card replacement; "she had one as a kid, it expired" after a first
    passport → the renewal). Never when the words themselves are outside the catalogue."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = latest_text(tracker)
        previous = slot_before_latest_message(tracker, "service")
        understanding = understanding_of(tracker)
        evidence = understanding.get("evidence") or {}
        ranking = [tuple(x) for x in evidence.get("lexical") or []]
        readable = text and not text.startswith("/") and not str(understanding.get("reason") or "").startswith(
            OUTSIDE_REASON)
        chosen = (self._answer_to_our_question(tracker, ranking)
                  or self._reply_to_offered(tracker, text, language(tracker))) if readable else None
        if chosen:
            # a reply to the buttons we offered names one of them ("my dad retires next month, what
            # does he bring" after "pension?"): an answer to our own question is not out of scope
            return self._respond(dispatcher, tracker, chosen, asked_aspect(tracker), language(tracker))
        if previous and readable and self._follow_up_on(previous, evidence, understanding, ranking):
            # "how long does it take to get the money" while the housing fund withdrawal is under
            # discussion: a question naming no service that the classifier took for a service
            # question, and whose own words point to the service under discussion
            return self._respond(dispatcher, tracker, previous, asked_aspect(tracker), language(tracker))
        if previous and readable:
            sibling = refine(previous, ranking, self.siblings(),
                             (understanding.get("semantic") or {}).get("services"), statement=True, text=text
                             ) or self._situation_in_family(previous, text, language(tracker))
            if sibling:
                return self._respond(dispatcher, tracker, sibling, asked_aspect(tracker), language(tracker))
            if aspect_asked_of_previous(previous, understanding, cued_aspect(tracker), text):
                # "is there an online form or only phone" while the 12345 hotline is discussed: a
                # question about one aspect whose meaning is service wording, naming no other service
                return self._respond(dispatcher, tracker, previous, asked_aspect(tracker), language(tracker))
            if self._situation_of(previous, text, language(tracker)):
                # "她回国以后要去哪里补" while her lost passport is discussed: the situation is the
                # conversation's own, and the question is about it
                return self._respond(dispatcher, tracker, previous, asked_aspect(tracker), language(tracker))
        dispatcher.utter_message(response="utter_out_of_scope")
        return []

    @staticmethod
    def _follow_up_on(previous: str, evidence: Dict[str, Any], understanding: Dict[str, Any],
                      ranking: List[Tuple[str, float]]) -> bool:
        """A confident service question naming no service, refused only because its nearest
        examples were refusals, whose words rank the service under discussion first."""
        return (str(evidence.get("intent") or "").startswith("ask_")
                and float(evidence.get("confidence") or 0.0) >= FOLLOW_UP_CONFIDENCE
                and not evidence.get("service")
                and str(understanding.get("reason") or "").startswith(NO_SERVICE_MARGIN_REASON)
                and bool(ranking) and ranking[0][0] == previous)

    @staticmethod
    def _answer_to_our_question(tracker: Tracker, ranking: List[Tuple[str, float]]) -> Optional[str]:
        """The offered service the message's own words rank first, when they rank an offered one first."""
        offered = tracker.get_slot("candidates") or []
        if not offered or not ranking:
            return None
        best, score = ranking[0]
        return best if best in offered and score >= CLARIFY_MIN_SCORE else None
