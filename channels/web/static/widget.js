/*!
 * Jiangzhou government services chat widget (江州政务服务助手) — plain JS, no dependencies.
 *
 * Embed on any page with one tag:
 *   <script src="https://example.gov/static/widget.js" data-rasa-url="https://rasa.example.gov"></script>
 * Optional attributes: data-open="true" (start open), data-lang="zh|en" (initial language,
 * default from navigator.language), data-css="…/widget.css" (stylesheet; default next to widget.js),
 * data-texts="…/widget-texts.json" (the interface texts in both languages; default next to widget.js:
 * the texts live in that data file, never in this code, and are loaded before anything is shown).
 *
 * Talks to Rasa's "webchat" input channel (channels/web/channel.py):
 *   POST {rasa}/webhooks/webchat/session  → {"sender"}: a sender id the channel issued and signed; asked
 *        for before the first message, and again when the channel refuses the one kept (made up by an
 *        older widget, or signed under a key that has since been replaced); the channel takes no other
 *   POST {rasa}/webhooks/webchat/webhook  {"sender","message","metadata":{"language"},"message_id"}
 *        (message_id: the queued message's id, the same on every retry: the channel answers a
 *        message it already handled again instead of handling it twice)
 *   GET  {rasa}/webhooks/webchat/?sender=…  health + "paused" (handed over to staff)
 *   GET  {rasa}/webhooks/webchat/?sender=…&since=…  also the messages staff sent (polled while paused)
 * All bot and user text is rendered with textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  if (window.GovAssistChat) return; // loaded twice: keep the first

  var MAX_CHARS = 2000;
  var MAX_HISTORY = 200;
  var REQUEST_TIMEOUT_MS = 60000;
  var PROBE_TIMEOUT_MS = 5000;
  var BACKOFF_MAX_MS = 30000;
  var POLL_MS = 3000; // while handed over to staff: ask for the messages staff sent
  var MAX_SENDER_RENEWALS = 2; // new sender ids refused in a row before waiting as for a lost connection

  var I18N = null; // the interface texts, zh and en: widget-texts.json beside this file (loaded by boot)

  // ---------------------------------------------------------------- configuration
  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all[all.length - 1] || null;
  })();
  var data = (script && script.dataset) || {};
  var scriptSrc = (script && script.src) || location.href;
  var cfg = {
    rasaUrl: (data.rasaUrl || "").trim().replace(/\/+$/, ""),
    open: data.open === "true",
    lang: data.lang === "zh" || data.lang === "en" ? data.lang : null,
    cssUrl: data.css || new URL("widget.css", scriptSrc).href,
    textsUrl: data.texts || new URL("widget-texts.json", scriptSrc).href,
    configUrl: new URL("../config.json", scriptSrc).href,
  };

  // ---------------------------------------------------------------- helpers
  function fmt(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? String(vars[k]) : m; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "className") node.className = v;
        else if (k === "hidden") node.hidden = true;
        else node.setAttribute(k, v === true ? "" : String(v));
      });
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  var ICONS = {
    chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H10l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
    person: "M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm0 2c-4.4 0-8 2.2-8 5v2h16v-2c0-2.8-3.6-5-8-5z",
  };
  function icon(name, className) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", className);
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function charCount(s) { return Array.from(s).length; }
  function guessLang(text, fallback) {
    if (/[\u3400-\u9fff]/.test(text)) return "zh";
    if (/[A-Za-z]{2,}/.test(text)) return "en";
    return fallback;
  }
  function browserLang() {
    var l = (navigator.language || "").toLowerCase();
    return l.indexOf("zh") === 0 ? "zh" : "en";
  }
  function fetchWithTimeout(url, options, ms) {
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    var timer = ctl ? setTimeout(function () { ctl.abort(); }, ms) : null;
    var opts = Object.assign({ mode: "cors", credentials: "omit", cache: "no-store" }, options || {});
    if (ctl) opts.signal = ctl.signal;
    return fetch(url, opts).finally(function () { if (timer) clearTimeout(timer); });
  }

  // ---------------------------------------------------------------- persistent state
  var storageKey = null;
  var state = null;
  // sessionStorage: the conversation survives a reload of the tab, not the end of the session
  // (a shared or public computer keeps no citizen's history)
  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }
  function loadState() {
    var saved = null;
    try { saved = JSON.parse((storage() && storage().getItem(storageKey)) || "null"); } catch (e) { saved = null; }
    saved = saved && typeof saved === "object" ? saved : {};
    return {
      // issued by the channel (null until the first message needs one)
      sender: typeof saved.sender === "string" && saved.sender ? saved.sender : null,
      lang: saved.lang === "zh" || saved.lang === "en" ? saved.lang : cfg.lang || browserLang(),
      open: typeof saved.open === "boolean" ? saved.open : cfg.open,
      history: Array.isArray(saved.history) ? saved.history.filter(validEntry) : [],
      queue: Array.isArray(saved.queue) ? saved.queue.filter(function (q) {
        return q && typeof q.id === "string" && typeof q.message === "string";
      }) : [],
      paused: saved.paused === true,
      // the timestamp (server clock) of the last message staff sent that was shown, or null
      pushSince: typeof saved.pushSince === "number" && isFinite(saved.pushSince) && saved.pushSince >= 0
        ? saved.pushSince : null,
      // paused now or until the next poll: the "assistant is back" message may still be on its way
      pushWatch: saved.pushWatch === true || saved.paused === true,
    };
  }
  function validEntry(e) {
    return e && typeof e === "object" && typeof e.id === "string" && ["user", "bot", "note"].indexOf(e.who) >= 0;
  }
  function saveState() {
    if (state.history.length > MAX_HISTORY) state.history = state.history.slice(-MAX_HISTORY);
    try { storage() && storage().setItem(storageKey, JSON.stringify(state)); } catch (e) { /* full or disabled */ }
  }

  // ---------------------------------------------------------------- UI
  var ui = {};
  var t = function (key) { return I18N[state.lang][key]; };
  var MESSAGE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/; // what the channel accepts as a message id

  function buildUI() {
    var host = el("div", { id: "govassist-webchat", "data-govassist": "webchat" });
    host.style.visibility = "hidden"; // until the stylesheet has loaded
    var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var css = el("link", { rel: "stylesheet", href: cfg.cssUrl });
    var shown = false;
    var show = function () { if (!shown) { shown = true; host.style.visibility = ""; } };
    css.addEventListener("load", show);
    css.addEventListener("error", show);
    setTimeout(show, 3000);
    shadow.appendChild(css);

    ui.launcherLabel = el("span", { className: "gw-launcher-label" });
    ui.launcherBadge = el("span", { className: "gw-badge", hidden: true });
    ui.launcher = el("button", { type: "button", className: "gw-launcher", "aria-controls": "gw-panel",
                                 "aria-expanded": "false" },
      [icon("chat", "gw-launcher-icon"), ui.launcherLabel,
       ui.launcherBadge]);

    ui.title = el("h2", { id: "gw-title", className: "gw-title" });
    ui.subtitle = el("p", { className: "gw-subtitle" });
    ui.langZh = el("button", { type: "button", className: "gw-lang-btn", lang: "zh", "data-lang": "zh" });
    ui.langEn = el("button", { type: "button", className: "gw-lang-btn", lang: "en", "data-lang": "en" });
    ui.langGroup = el("div", { className: "gw-lang", role: "group" }, [ui.langZh, ui.langEn]);
    ui.newBtn = el("button", { type: "button", className: "gw-icon-btn gw-new" },
      [el("span", { "aria-hidden": "true", text: "↺" })]);
    ui.closeBtn = el("button", { type: "button", className: "gw-icon-btn gw-close" },
      [el("span", { "aria-hidden": "true", text: "✕" })]);
    ui.logo = el("span", { className: "gw-logo", "aria-hidden": "true" });
    var header = el("div", { className: "gw-header" }, [
      el("div", { className: "gw-brand" }, [
        ui.logo,
        el("div", { className: "gw-heading" }, [ui.title, ui.subtitle]),
      ]),
      el("div", { className: "gw-tools" }, [ui.langGroup, ui.newBtn, ui.closeBtn]),
    ]);

    ui.connText = el("span", { className: "gw-conn-text" });
    ui.queuedText = el("span", { className: "gw-conn-queued" });
    ui.retryBtn = el("button", { type: "button", className: "gw-link-btn" });
    ui.conn = el("div", { className: "gw-conn", hidden: true },
      [el("span", { className: "gw-spinner", "aria-hidden": "true" }), el("div", null, [ui.connText, " ", ui.queuedText]),
       ui.retryBtn]);
    ui.handoffTitle = el("strong", { className: "gw-handoff-title" });
    ui.handoffText = el("span", { className: "gw-handoff-text" });
    ui.handoff = el("div", { className: "gw-handoff", role: "note", hidden: true, "data-testid": "handoff" },
      [icon("person", "gw-handoff-icon"), el("div", null, [ui.handoffTitle, " ", ui.handoffText])]);

    ui.welcomeText = el("p", { className: "gw-bubble" });
    ui.starters = el("div", { className: "gw-qr", role: "group" });
    ui.welcomeWho = el("span", { className: "gw-sr gw-who", "data-who": "bot" });
    ui.welcome = el("div", { className: "gw-msg gw-bot gw-welcome" }, [ui.welcomeWho, ui.welcomeText, ui.starters]);
    ui.log = el("div", { className: "gw-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                         tabindex: "0", id: "gw-log" }, [ui.welcome]);

    ui.typingText = el("span", { className: "gw-sr" });
    ui.typing = el("div", { className: "gw-typing", role: "status", hidden: true, "data-testid": "typing" },
      [ui.typingText, el("span", { className: "gw-dots", "aria-hidden": "true" },
        [el("span"), el("span"), el("span")])]);

    ui.inputLabel = el("label", { for: "gw-input", className: "gw-sr" });
    ui.input = el("textarea", { id: "gw-input", className: "gw-input", rows: "1", autocomplete: "off",
                                "aria-describedby": "gw-hint gw-counter", enterkeyhint: "send" });
    ui.send = el("button", { type: "submit", className: "gw-send" });
    ui.hint = el("span", { id: "gw-hint", className: "gw-hint" });
    ui.counter = el("span", { id: "gw-counter", className: "gw-counter", "aria-live": "off" });
    ui.form = el("form", { className: "gw-form", novalidate: true }, [
      ui.inputLabel,
      el("div", { className: "gw-input-row" }, [ui.input, ui.send]),
      el("div", { className: "gw-hint-row" }, [ui.hint, ui.counter]),
    ]);
    ui.disclaimer = el("p", { className: "gw-disclaimer" });

    ui.panel = el("section", { id: "gw-panel", className: "gw-panel", "aria-labelledby": "gw-title", hidden: true },
      [header, ui.conn, ui.handoff, ui.log, ui.typing, ui.form, ui.disclaimer]);
    ui.announcer = el("div", { className: "gw-sr", role: "status", "aria-live": "polite" });
    ui.root = el("div", { className: "gw-root" }, [ui.launcher, ui.panel, ui.announcer]);
    shadow.appendChild(ui.root);
    ui.host = host;
    ui.shadow = shadow;

    ui.launcher.addEventListener("click", function () { setOpen(true, true); });
    ui.closeBtn.addEventListener("click", function () { setOpen(false, true); });
    ui.newBtn.addEventListener("click", newConversation);
    ui.langZh.addEventListener("click", function () { setLang("zh", true); });
    ui.langEn.addEventListener("click", function () { setLang("en", true); });
    ui.retryBtn.addEventListener("click", function () { probe(); });
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !e.isComposing) { e.preventDefault(); setOpen(false, true); }
    });
    ui.form.addEventListener("submit", function (e) { e.preventDefault(); submitInput(); });
    ui.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        submitInput();
      }
    });
    ui.input.addEventListener("input", function () { autoGrow(); updateCounter(); });
    window.addEventListener("online", function () { if (reconnectTimer) probe(); });
    window.addEventListener("pagehide", function () { unloading = true; stopPolling(); });
    window.addEventListener("pageshow", function (e) {
      if (e.persisted) { unloading = false; schedulePoll(0); } // back from the back-forward cache
    });
  }

  function applyStrings() {
    ui.root.setAttribute("lang", state.lang);
    ui.launcherLabel.textContent = t("launcher");
    ui.launcher.setAttribute("aria-label", t("openLabel"));
    ui.title.textContent = t("title");
    ui.subtitle.textContent = t("subtitle");
    ui.logo.textContent = t("logo");
    ui.langGroup.setAttribute("aria-label", t("langGroup"));
    ui.langZh.setAttribute("aria-pressed", String(state.lang === "zh"));
    ui.langEn.setAttribute("aria-pressed", String(state.lang === "en"));
    ui.langZh.textContent = t("langZh");
    ui.langEn.textContent = t("langEn");
    ui.langZh.setAttribute("aria-label", t("langZhLabel"));
    ui.langEn.setAttribute("aria-label", t("langEnLabel"));
    ui.newBtn.setAttribute("aria-label", t("newLabel"));
    ui.newBtn.title = t("newLabel");
    ui.closeBtn.setAttribute("aria-label", t("closeLabel"));
    ui.closeBtn.title = t("closeLabel");
    ui.connText.textContent = t("reconnecting");
    ui.queuedText.textContent = state.queue.length ? t("queuedInfo") : "";
    ui.retryBtn.textContent = t("retryNow");
    ui.handoffTitle.textContent = t("handoffShort");
    ui.handoffText.textContent = t("handoff");
    ui.log.setAttribute("aria-label", t("logLabel"));
    ui.welcomeWho.textContent = t("bot");
    ui.welcomeText.textContent = t("welcome");
    ui.welcomeText.setAttribute("lang", state.lang);
    ui.starters.setAttribute("aria-label", t("startersLabel"));
    ui.starters.textContent = "";
    t("starters").forEach(function (q) {
      ui.starters.appendChild(quickReplyButton(q, q));
    });
    ui.typingText.textContent = t("typing");
    ui.inputLabel.textContent = t("inputLabel");
    ui.input.setAttribute("placeholder", t("placeholder"));
    ui.send.textContent = t("send");
    ui.hint.textContent = t("hint");
    ui.disclaimer.textContent = t("disclaimer");
    ui.launcherBadge.textContent = t("handoffShort");
    // localise the labels of messages already shown (changes, not additions: not re-announced)
    Array.prototype.forEach.call(ui.log.querySelectorAll(".gw-who"), function (n) {
      n.textContent = t(n.getAttribute("data-who"));
    });
    Array.prototype.forEach.call(ui.log.querySelectorAll(".gw-staff-label"), function (n) {
      n.textContent = t("staff");
    });
    Array.prototype.forEach.call(ui.log.querySelectorAll(".gw-state"), function (n) {
      n.textContent = t(n.getAttribute("data-state"));
    });
    Array.prototype.forEach.call(ui.log.querySelectorAll(".gw-newwin"), function (n) {
      n.textContent = t("newWindow");
    });
    Array.prototype.forEach.call(ui.log.querySelectorAll("[data-note]"), function (n) {
      n.textContent = t(n.getAttribute("data-note"));
    });
    Array.prototype.forEach.call(ui.log.querySelectorAll(".gw-qr[data-kind=replies]"), function (n) {
      n.setAttribute("aria-label", t("quickReplies"));
    });
    updateCounter();
  }

  function announce(text) {
    ui.announcer.textContent = "";
    setTimeout(function () { ui.announcer.textContent = text; }, 50);
  }

  function setOpen(open, byUser) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    ui.root.classList.toggle("gw-is-open", open);
    saveState();
    if (open) schedulePoll(0);
    else stopPolling();
    if (open) {
      scrollToEnd();
      if (byUser) ui.input.focus();
    } else if (byUser) {
      ui.launcher.focus();
    }
  }

  function setLang(lang, byUser) {
    if (lang !== "zh" && lang !== "en") return;
    var changed = state.lang !== lang;
    state.lang = lang;
    saveState();
    applyStrings();
    if (changed && byUser) announce(t("switched"));
    try {
      window.dispatchEvent(new CustomEvent("govassist:language", { detail: { language: lang } }));
    } catch (e) { /* very old browsers */ }
  }

  function autoGrow() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, 140) + "px";
  }

  function updateCounter() {
    var n = charCount(ui.input.value);
    var over = n > MAX_CHARS;
    ui.counter.textContent = over ? fmt(t("tooLongHint"), { n: n - MAX_CHARS }) : fmt(t("counter"), { n: n, max: MAX_CHARS });
    ui.counter.classList.toggle("gw-over", over);
    if (over) ui.input.setAttribute("aria-invalid", "true");
    else ui.input.removeAttribute("aria-invalid");
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  // Text with URLs turned into links, built from text nodes and <a> elements only.
  var URL_RE = /https?:\/\/[^\s<>"'\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+/gi;
  function linkify(text) {
    var frag = document.createDocumentFragment();
    var last = 0;
    text.replace(URL_RE, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]}>'"]+$/, "");
      var href = null;
      try {
        var u = new URL(url);
        if (u.protocol === "http:" || u.protocol === "https:") href = u.href;
      } catch (e) { href = null; }
      if (!href) return match;
      if (offset > last) frag.appendChild(document.createTextNode(text.slice(last, offset)));
      var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer", className: "gw-a" });
      a.appendChild(document.createTextNode(url));
      a.appendChild(el("span", { className: "gw-sr gw-newwin", text: t("newWindow") }));
      frag.appendChild(a);
      last = offset + url.length;
      return match;
    });
    if (last < text.length) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }

  function quickReplyButton(title, payload) {
    var b = el("button", { type: "button", className: "gw-qr-btn", text: title });
    b.setAttribute("lang", guessLang(title, state.lang));
    b.addEventListener("click", function () { send(payload, title); });
    return b;
  }

  function renderEntry(entry) {
    var node;
    if (entry.who === "note") {
      node = el("div", { className: "gw-msg gw-note", "data-id": entry.id }, [
        el("span", { className: "gw-sr gw-who", "data-who": "note", text: t("note") }),
        el("p", { className: "gw-bubble", "data-note": entry.key, text: t(entry.key) || "" }),
      ]);
      return node;
    }
    var isUser = entry.who === "user";
    var isStaff = !isUser && entry.staff === true;
    var who = isUser ? "you" : isStaff ? "staffSaid" : "bot";
    var text = typeof entry.text === "string" ? entry.text : "";
    node = el("div", { className: "gw-msg " + (isUser ? "gw-user" : "gw-bot") + (isStaff ? " gw-msg-staff" : ""),
                       "data-id": entry.id, lang: guessLang(text, state.lang) }, [
      el("span", { className: "gw-sr gw-who", "data-who": who, text: t(who) }),
    ]);
    if (isStaff) {
      node.appendChild(el("span", { className: "gw-staff-label", "aria-hidden": "true", text: t("staff") }));
    }
    if (text) {
      var bubble = el("p", { className: "gw-bubble" });
      if (isUser) bubble.textContent = text;
      else bubble.appendChild(linkify(text));
      node.appendChild(bubble);
    }
    if (!isUser && typeof entry.image === "string" && /^https?:\/\//i.test(entry.image)) {
      node.appendChild(el("img", { className: "gw-img", src: entry.image, alt: t("image"), loading: "lazy" }));
    }
    if (isUser) {
      node.appendChild(el("span", { className: "gw-state", "data-state": "pending", text: t("pending") }));
      node.appendChild(el("span", { className: "gw-state gw-state-failed", "data-state": "failed", text: t("failed") }));
      if (entry.status) node.setAttribute("data-status", entry.status);
    }
    if (!isUser && Array.isArray(entry.buttons) && entry.buttons.length) {
      var group = el("div", { className: "gw-qr", role: "group", "data-kind": "replies", "aria-label": t("quickReplies") });
      entry.buttons.forEach(function (b) { group.appendChild(quickReplyButton(b.title, b.payload)); });
      node.appendChild(group);
    }
    return node;
  }

  function addEntry(entry, persist) {
    if (persist !== false) { state.history.push(entry); saveState(); }
    var node = renderEntry(entry);
    ui.log.appendChild(node);
    scrollToEnd();
    return node;
  }

  // After a long answer, show its beginning (with the question above it) rather than its end.
  function revealReplies(first) {
    if (!first) return;
    var prev = first.previousElementSibling;
    var anchor = prev && prev.classList.contains("gw-user") ? prev : first;
    if (ui.log.scrollHeight - anchor.offsetTop > ui.log.clientHeight) {
      ui.log.scrollTop = Math.max(0, anchor.offsetTop - 8);
    } else {
      scrollToEnd();
    }
  }

  function setEntryStatus(id, status) {
    state.history.forEach(function (e) {
      if (e.id === id) { if (status) e.status = status; else delete e.status; }
    });
    var node = ui.log.querySelector('.gw-msg[data-id="' + id.replace(/[^A-Za-z0-9_-]/g, "") + '"]');
    if (node) {
      if (status) node.setAttribute("data-status", status);
      else node.removeAttribute("data-status");
    }
  }

  function setPaused(paused) {
    var changed = state.paused !== !!paused;
    if (changed && paused) announce(t("handoffShort") + t("colon") + t("handoff"));
    state.paused = !!paused;
    if (state.paused) state.pushWatch = true;
    ui.handoff.hidden = !state.paused;
    ui.root.classList.toggle("gw-is-paused", state.paused);
    ui.launcherBadge.hidden = !state.paused;
    if (changed) {
      scrollToEnd();
      // right after the handoff; and once more after it, for the "assistant is back" message
      schedulePoll(0);
    }
  }

  function showTyping(on) {
    ui.typing.hidden = !on;
    if (on) scrollToEnd();
  }

  // ---------------------------------------------------------------- talking to Rasa
  var busy = false;
  var reconnectTimer = null;
  var rateTimer = null; // set while the channel asked us to wait (429 rate_limited)
  var rateNoted = false; // the "sending too fast" note is shown once per wait, not on every retry
  var attempt = 0;
  var connection = "online";

  function webhookUrl() { return cfg.rasaUrl + "/webhooks/webchat/webhook"; }
  function sessionUrl() { return cfg.rasaUrl + "/webhooks/webchat/session"; }
  function healthUrl() {
    return cfg.rasaUrl + "/webhooks/webchat/" + (state.sender ? "?sender=" + encodeURIComponent(state.sender) : "");
  }

  // ---------------------------------------------------------------- the sender id
  // The channel issues the sender ids (signed) and refuses any other, so the widget asks for one when
  // it has none, and drops the one it has when the channel refuses it (that conversation is gone for
  // this browser: the next message starts a new one, and nothing queued is lost).
  var SENDER_ERRORS = ["invalid_sender", "sender_not_issued"];
  var senderRequest = null; // one request for a sender id at a time
  var senderRenewals = 0; // sender ids refused since the last message that went through

  function obtainSender() {
    if (state.sender) return Promise.resolve(state.sender);
    if (!senderRequest) {
      senderRequest = fetchWithTimeout(sessionUrl(), { method: "POST" }, PROBE_TIMEOUT_MS)
        .then(function (res) {
          if (!res.ok) throw new Error("HTTP " + res.status);
          return res.json();
        })
        .then(function (json) {
          if (!json || typeof json.sender !== "string" || !json.sender) throw new Error("no sender id");
          if (!state.sender) { state.sender = json.sender; saveState(); }
          return state.sender;
        })
        .finally(function () { senderRequest = null; });
    }
    return senderRequest;
  }

  function senderRefused(json) {
    return !!json && typeof json === "object" && SENDER_ERRORS.indexOf(json.error) >= 0;
  }

  function dropSender(refused) {
    if (!refused || state.sender !== refused) return; // already replaced
    state.sender = null;
    state.pushSince = null;
    state.pushWatch = false;
    stopPolling();
    setPaused(false);
    saveState();
  }

  // The response's JSON (null if it has none) with its status.
  function readJson(res) {
    return res.json().catch(function () { return null; }).then(function (json) { return { res: res, json: json }; });
  }

  function setConnection(value) {
    if (connection === value) return;
    connection = value;
    ui.conn.hidden = value !== "reconnecting";
    ui.root.classList.toggle("gw-is-offline", value === "reconnecting");
    ui.queuedText.textContent = state.queue.length ? t("queuedInfo") : "";
    announce(t(value === "online" ? "reconnected" : "reconnecting"));
    scrollToEnd();
  }

  function submitInput() {
    var text = ui.input.value.trim();
    if (!text) return;
    if (charCount(text) > MAX_CHARS) {
      addEntry({ id: uuid(), who: "note", key: "tooLong" });
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    autoGrow();
    updateCounter();
    send(text, text);
  }

  function send(message, display) {
    message = String(message || "").trim();
    if (!message) return;
    var id = uuid();
    addEntry({ id: id, who: "user", text: String(display || message), status: "pending" });
    state.queue.push({ id: id, message: message, lang: state.lang });
    if (connection === "reconnecting") ui.queuedText.textContent = t("queuedInfo");
    saveState();
    pump();
  }

  function handleReplies(messages) {
    var paused = false;
    var first = null;
    (Array.isArray(messages) ? messages : []).forEach(function (m) {
      if (!m || typeof m !== "object") return;
      if (m.custom && typeof m.custom === "object" && m.custom.handoff) {
        paused = paused || !!m.custom.handoff.paused;
        return;
      }
      var entry = botEntry(m);
      if (entry) {
        var node = addEntry(entry);
        first = first || node;
      }
    });
    setPaused(paused);
    revealReplies(first);
  }

  // A bot message from Rasa as a history entry (null if there is nothing to show).
  function botEntry(m) {
    var text = typeof m.text === "string" ? m.text : "";
    var buttons = Array.isArray(m.buttons) ? m.buttons.filter(function (b) {
      return b && typeof b.title === "string" && b.title;
    }).slice(0, 12).map(function (b) {
      return { title: b.title, payload: typeof b.payload === "string" && b.payload ? b.payload : b.title };
    }) : [];
    var image = typeof m.image === "string" ? m.image : undefined;
    if (!text && typeof m.attachment === "string") text = m.attachment;
    if (!text && !buttons.length && !image) return null;
    return { id: uuid(), who: "bot", text: text, buttons: buttons, image: image };
  }

  // ---------------------------------------------------------------- messages staff send
  // While the conversation is handed over, Rasa cannot answer the widget's requests with what staff
  // write in their console: the widget asks for it every POLL_MS, one request at a time, while the
  // chat is open. It asks for the messages after the last one it showed (kept across reloads).
  var pollTimer = null;
  var polling = false;
  var pollAgain = false;
  var pollFailures = 0;
  var unloading = false;

  function pollWanted() {
    return !!cfg.rasaUrl && !!state.sender && state.open && !unloading && (state.paused || state.pushWatch);
  }

  function stopPolling() {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    pollAgain = false;
  }

  function schedulePoll(delay) {
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    if (!pollWanted()) return;
    if (polling) { if (delay === 0) pollAgain = true; return; } // one request at a time
    pollTimer = setTimeout(poll, delay);
  }

  function poll() {
    pollTimer = null;
    if (polling || !pollWanted()) return;
    polling = true;
    pollAgain = false;
    var sender = state.sender;
    var url = healthUrl() + "&since=" + encodeURIComponent(String(state.pushSince === null ? 0 : state.pushSince));
    fetchWithTimeout(url, { method: "GET" }, PROBE_TIMEOUT_MS)
      .then(readJson)
      .then(function (r) {
        if (!r.res.ok && !senderRefused(r.json)) throw new Error("HTTP " + r.res.status);
        polling = false;
        pollFailures = 0;
        if (!r.res.ok) { dropSender(sender); return; } // nothing more to fetch for that conversation
        var json = r.json;
        if (sender === state.sender) handlePushed(json);
        schedulePoll(pollAgain || sender !== state.sender ? 0 : POLL_MS);
      })
      .catch(function () {
        polling = false;
        pollFailures += 1;
        schedulePoll(Math.min(BACKOFF_MAX_MS, POLL_MS * Math.pow(2, pollFailures - 1)));
      });
  }

  function handlePushed(json) {
    if (!json || typeof json !== "object") return;
    var first = null;
    var fromStaff = false;
    (Array.isArray(json.messages) ? json.messages : []).forEach(function (m) {
      if (!m || typeof m !== "object" || typeof m.timestamp !== "number" || !isFinite(m.timestamp)) return;
      if (state.pushSince !== null && m.timestamp <= state.pushSince) return; // already shown
      state.pushSince = m.timestamp;
      var entry = botEntry(m);
      if (!entry) return;
      if (m.staff === true) { entry.staff = true; fromStaff = true; }
      var node = addEntry(entry);
      first = first || node;
    });
    if (first) {
      revealReplies(first);
      announce(t(fromStaff ? "staffNew" : "pushedNew"));
    }
    if (typeof json.paused === "boolean") {
      if (!json.paused) state.pushWatch = false; // nothing more will come: stop asking
      setPaused(json.paused);
    }
    saveState();
  }

  function pump() {
    if (busy || reconnectTimer || rateTimer || !state.queue.length || !cfg.rasaUrl) return;
    busy = true;
    showTyping(true);
    var item = state.queue[0];
    var sender = null;
    obtainSender()
      .then(function (issued) {
        sender = issued;
        // the queued message's id, the same on every retry (also with a new sender id): a message
        // whose answer was lost is not handled twice (an id from an older widget that the channel
        // would refuse is left out)
        var body = JSON.stringify({ sender: sender, message: item.message,
                                    metadata: { language: item.lang || state.lang },
                                    message_id: MESSAGE_ID_RE.test(item.id) ? item.id : undefined });
        return fetchWithTimeout(webhookUrl(), { method: "POST", headers: { "Content-Type": "application/json" },
                                                body: body }, REQUEST_TIMEOUT_MS);
      })
      .then(readJson)
      .then(function (r) {
        if (r.res.status === 429 && r.json && r.json.error === "rate_limited") {
          // sent too fast: not this message's fault; it stays first in the queue and is sent
          // again, with the same message id, once the wait the channel asked for is over
          if (!rateNoted) {
            rateNoted = true;
            addEntry({ id: uuid(), who: "note", key: "rateLimited" });
            announce(t("rateLimited"));
          }
          saveState();
          busy = false;
          showTyping(false);
          rateTimer = setTimeout(function () { rateTimer = null; pump(); }, retryAfterMs(r));
          return;
        }
        if (r.res.ok) {
          rateNoted = false;
          senderRenewals = 0;
          state.queue.shift();
          setEntryStatus(item.id, null);
          attempt = 0;
          setConnection("online");
          handleReplies(r.json);
        } else if (senderRefused(r.json)) {
          // not this message's fault: it stays first in the queue, sent again with a new sender id
          dropSender(sender);
          senderRenewals += 1;
          if (senderRenewals > MAX_SENDER_RENEWALS) throw new Error("new sender ids refused too");
        } else if (r.json && typeof r.json.error === "string") {
          // the channel refused or failed this message: retrying would not help
          state.queue.shift();
          setEntryStatus(item.id, "failed");
          addEntry({ id: uuid(), who: "note", key: r.json.error === "message_too_long" ? "tooLong" : "error" });
        } else {
          throw new Error("HTTP " + r.res.status);
        }
        saveState();
        busy = false;
        showTyping(false);
        pump();
      })
      .catch(function () {
        busy = false;
        showTyping(false);
        scheduleReconnect();
      });
  }

  // The wait a 429 asks for: the body's retry_after (a page on another origin cannot read the
  // Retry-After header unless CORS exposes it), else the header, within 1 s to 2 min.
  function retryAfterMs(r) {
    var seconds = r.json && typeof r.json.retry_after === "number" ? r.json.retry_after
      : parseInt(r.res.headers.get("Retry-After") || "", 10);
    if (!isFinite(seconds)) seconds = 5;
    return Math.min(120, Math.max(1, seconds)) * 1000;
  }

  function scheduleReconnect() {
    setConnection("reconnecting");
    if (reconnectTimer) clearTimeout(reconnectTimer);
    var delay = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, attempt)) * (0.8 + Math.random() * 0.4);
    attempt += 1;
    reconnectTimer = setTimeout(probe, delay);
  }

  function probe() {
    if (reconnectTimer) { clearTimeout(reconnectTimer); reconnectTimer = null; }
    if (!cfg.rasaUrl) return;
    var sender = state.sender;
    return fetchWithTimeout(healthUrl(), { method: "GET" }, PROBE_TIMEOUT_MS)
      .then(readJson)
      .then(function (r) {
        if (!r.res.ok && !(sender && senderRefused(r.json))) throw new Error("HTTP " + r.res.status);
        if (!r.res.ok) dropSender(sender); // the server is there; the next message gets a new sender id
        var json = r.res.ok ? r.json : null;
        // a queue that still fails after this probe keeps backing off (a new sender id refused again)
        if (!state.queue.length || senderRenewals <= MAX_SENDER_RENEWALS) attempt = 0;
        if (json && typeof json.paused === "boolean") { setPaused(json.paused); saveState(); }
        setConnection("online");
        pump();
      })
      .catch(function () { scheduleReconnect(); });
  }

  function newConversation() {
    if (!window.confirm(t("newConfirm"))) return;
    state.sender = null; // a new one is issued for the next message
    senderRenewals = 0;
    state.history = [];
    state.queue = [];
    state.pushSince = null;
    state.pushWatch = false;
    stopPolling();
    setPaused(false);
    saveState();
    Array.prototype.slice.call(ui.log.querySelectorAll(".gw-msg:not(.gw-welcome)")).forEach(function (n) { n.remove(); });
    announce(t("newStarted"));
    ui.input.focus();
  }

  // ---------------------------------------------------------------- start
  function start() {
    storageKey = "govassist-webchat:" + cfg.rasaUrl;
    state = loadState();
    buildUI();
    state.history.forEach(function (e) { ui.log.appendChild(renderEntry(e)); });
    // messages still queued from the last visit show as waiting
    state.queue.forEach(function (q) { setEntryStatus(q.id, "pending"); });
    setPaused(state.paused);
    applyStrings();
    (document.body || document.documentElement).appendChild(ui.host);
    setOpen(state.open, false);
    saveState();
    window.GovAssistChat = {
      open: function () { setOpen(true, true); },
      close: function () { setOpen(false, true); },
      setLanguage: function (l) { setLang(l, true); },
      send: function (text) { send(text, text); },
      get sender() { return state.sender; },
      get language() { return state.lang; },
    };
    probe(); // health + handoff state; then sends anything queued
  }

  // The interface texts (widget-texts.json): both languages, each with every key zh has.
  function validTexts(j) {
    if (!j || typeof j.zh !== "object" || typeof j.en !== "object" || !j.zh || !j.en) return false;
    return Object.keys(j.zh).every(function (k) { return k in j.en; }) && Array.isArray(j.zh.starters);
  }
  function loadTexts(attempt) {
    return fetchWithTimeout(cfg.textsUrl, { method: "GET", cache: "default" }, PROBE_TIMEOUT_MS)
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (j) {
        if (!validTexts(j)) throw new Error("not the widget's texts");
        I18N = { zh: j.zh, en: j.en };
      })
      .catch(function (e) {
        if (attempt >= 3) throw e;
        return new Promise(function (r) { setTimeout(r, 1000 * attempt); }).then(function () {
          return loadTexts(attempt + 1);
        });
      });
  }

  function rasaUrl() {
    if (cfg.rasaUrl) return Promise.resolve();
    // no data-rasa-url: ask the page server that served the widget
    return fetch(cfg.configUrl, { credentials: "omit" })
      .then(function (r) { return r.json(); })
      .then(function (j) { cfg.rasaUrl = String((j && j.rasaUrl) || "").replace(/\/+$/, ""); })
      .catch(function () { cfg.rasaUrl = ""; })
      .then(function () { if (!cfg.rasaUrl) cfg.rasaUrl = "http://localhost:5005"; });
  }

  function boot() {
    Promise.all([loadTexts(1), rasaUrl()]).then(start, function (e) {
      window.GovAssistChat = { loading: false, failed: true };
      if (window.console) console.warn("GovAssistChat: the widget's texts could not be loaded (" + cfg.textsUrl + "): " + e);
    });
  }

  window.GovAssistChat = { loading: true };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
