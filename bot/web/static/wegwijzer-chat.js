/*!
 * Wegwijzer chat widget: an accessible chat for the Rasa REST channel.
 * Vanilla JavaScript, no dependencies, no build step, no cookies, no tracking.
 * Embed with one tag (see docs/widget.md):
 *   <script src="https://HOST/static/wegwijzer-chat.js" defer
 *           data-server="https://HOST" data-municipality="gemeente-voorbeeld"
 *           data-audience="parent"></script>
 * The script adds its own stylesheet (wegwijzer-chat.css next to the script) unless the page
 * already links it. The conversation is kept in sessionStorage only (this browser tab), without
 * what the bot marks as private (see "Private turns" below), and for 30 minutes of inactivity at most.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__wegwijzerChatLoaded) {
    return;
  }
  window.__wegwijzerChatLoaded = true;

  var AUDIENCES = ["parent", "simple", "professional"];
  var AUDIENCE_LABELS = {
    parent: "Ouder of verzorger",
    simple: "Eenvoudige taal",
    professional: "Ik ben professional"
  };
  var TEXT = {
    launcher: "Chat met Wegwijzer",
    title: "Wegwijzer",
    subtitle: "Hulp bij zorg en ondersteuning",
    close: "Sluiten",
    closeName: "Chat sluiten",
    region: "Wegwijzer-chat",
    audienceGroup: "Hoe wilt u de antwoorden?",
    larger: "Grotere tekst",
    clear: "Gesprek wissen",
    notice: "Typ geen persoonsgegevens, zoals uw naam of geboortedatum, tenzij de chat erom vraagt.",
    log: "Gesprek met Wegwijzer",
    inputLabel: "Uw vraag",
    inputHint: "Enter verstuurt. Shift en Enter geeft een nieuwe regel.",
    send: "Versturen",
    busy: "Wegwijzer zoekt een antwoord\u2026",
    you: "U: ",
    bot: "Wegwijzer: ",
    buttonsGroup: "Kies een antwoord",
    newWindow: " (opent in een nieuw venster)",
    unreachable: "De chat is nu niet bereikbaar. Uw tekst staat nog in het invoerveld. Probeer het zo opnieuw.",
    unreachableChoice: "De chat is nu niet bereikbaar. Probeer het zo opnieuw.",
    feedbackQuestion: "Had u hier iets aan?",
    yes: "Ja",
    no: "Nee",
    thanks: "Bedankt voor uw reactie.",
    feedbackFailed: "Uw reactie is niet verstuurd. De chat is nu niet bereikbaar.",
    cleared: "Het gesprek is gewist.",
    expired: "Het gesprek is gewist, omdat het 30 minuten stil was.",
    masked: "\u2022\u2022\u2022\u2022\u2022\u2022",
    maskedName: "(uw antwoord, niet bewaard)",
    privateReply: "(Het antwoord over uw zaak is niet bewaard.)"
  };
  var REQUEST_TIMEOUT_MS = 60000;
  // After this long without activity the kept conversation is wiped (shared computers).
  var IDLE_LIMIT_MS = 30 * 60 * 1000;
  var IDLE_CHECK_MS = 60 * 1000;
  // Private turns. The bot sends these as custom JSON messages (no bubble of their own):
  //   {"custom": {"wegwijzer_private": "next_input"}}: the user's next typed message (a case
  //     number, a birth date) is kept in sessionStorage only as TEXT.masked;
  //   {"custom": {"wegwijzer_private": "reply"}}: no bot message of this reply (a case status)
  //     is kept; one TEXT.privateReply bubble is kept instead.
  // On screen both stay as they are for the rest of this page view.
  var PRIVATE_KEY = "wegwijzer_private";
  var PRIVATE_NEXT_INPUT = "next_input";
  var PRIVATE_REPLY = "reply";

  // --- configuration from the script tag ------------------------------------------------------
  var serverBase = (script.getAttribute("data-server") || "").trim().replace(/\/+$/, "");
  var municipality = (script.getAttribute("data-municipality") || "").trim();
  var startAudience = (script.getAttribute("data-audience") || "parent").trim();
  if (AUDIENCES.indexOf(startAudience) < 0) {
    startAudience = "parent";
  }
  var webhookUrl = serverBase + "/webhooks/rest/webhook";
  var storageKey = "wegwijzer-chat:" + (municipality || "default");

  // --- small DOM helpers ----------------------------------------------------------------------
  var idCounter = 0;
  function uid(prefix) {
    idCounter += 1;
    return "wgw-" + prefix + "-" + idCounter;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        var value = attrs[name];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (name === "text") {
          node.textContent = value;
        } else if (name === "className") {
          node.className = value;
        } else {
          node.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function hiddenText(text) {
    return el("span", { className: "wgw-visually-hidden", text: text });
  }

  function newSenderId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    var hex = "";
    for (var i = 0; i < bytes.length; i += 1) {
      hex += ("0" + bytes[i].toString(16)).slice(-2);
    }
    return "web-" + hex;
  }

  // --- state, kept in sessionStorage only -----------------------------------------------------
  function freshState(audience) {
    return {
      v: 1, sender: newSenderId(), audience: audience, started: false, messages: [],
      privateNext: false, t: Date.now()
    };
  }

  function isExpired(time) {
    return typeof time !== "number" || !isFinite(time) || Date.now() - time > IDLE_LIMIT_MS;
  }

  var storage = null;
  try {
    storage = window.sessionStorage;
    storage.setItem(storageKey + ":probe", "1");
    storage.removeItem(storageKey + ":probe");
  } catch (error) {
    storage = null; // private mode or blocked storage: the chat works, without keeping it
  }

  function loadState() {
    if (!storage) {
      return null;
    }
    try {
      var saved = JSON.parse(storage.getItem(storageKey) || "null");
      if (saved && isExpired(saved.t)) {
        storage.removeItem(storageKey); // left alone too long (or kept by an older widget)
        return null;
      }
      if (saved && saved.v === 1 && typeof saved.sender === "string" && Array.isArray(saved.messages)) {
        if (AUDIENCES.indexOf(saved.audience) < 0) {
          saved.audience = startAudience;
        }
        saved.privateNext = saved.privateNext === true;
        return saved;
      }
    } catch (error) {
      // unreadable: start anew
    }
    return null;
  }

  var state = loadState() || freshState(startAudience);
  var largeText = false;
  if (storage) {
    largeText = storage.getItem(storageKey + ":large") === "1";
  }

  /** What is written to sessionStorage: the state without the private turns. */
  function storedCopy() {
    var messages = [];
    var lastReply = null;
    state.messages.forEach(function (message) {
      if (message.type === "bot" && message.privateReply) {
        if (message.privateReply !== lastReply) {
          messages.push({ type: "bot", text: TEXT.privateReply, buttons: [] });
        }
        lastReply = message.privateReply;
        return;
      }
      lastReply = null;
      if (message.type === "user" && message.private) {
        messages.push({ type: "user", text: TEXT.masked, masked: true });
        return;
      }
      messages.push(message);
    });
    return {
      v: state.v, sender: state.sender, audience: state.audience, started: state.started,
      privateNext: state.privateNext === true, t: state.t, messages: messages
    };
  }

  function saveState() {
    state.t = Date.now();
    if (!storage) {
      return;
    }
    try {
      storage.setItem(storageKey, JSON.stringify(storedCopy()));
      storage.setItem(storageKey + ":large", largeText ? "1" : "0");
    } catch (error) {
      // quota or blocked: not fatal
    }
  }

  // --- stylesheet: one script tag is enough --------------------------------------------------
  function ensureStylesheet() {
    var links = document.querySelectorAll('link[rel="stylesheet"]');
    for (var i = 0; i < links.length; i += 1) {
      if (/wegwijzer-chat\.css(\?|#|$)/.test(links[i].getAttribute("href") || "")) {
        return;
      }
    }
    var href = new URL("wegwijzer-chat.css", script.src || window.location.href).href;
    document.head.appendChild(el("link", { rel: "stylesheet", href: href }));
  }

  // --- building the widget --------------------------------------------------------------------
  var ui = {};

  function build() {
    var panelId = uid("panel");
    var titleId = uid("title");
    var noticeId = uid("notice");
    var inputId = uid("input");
    var hintId = uid("hint");
    var audienceLabelId = uid("audience-label");

    ui.launcher = el("button", {
      type: "button",
      className: "wgw-launcher",
      "aria-expanded": "false",
      "aria-controls": panelId
    }, [el("span", { className: "wgw-launcher-icon", "aria-hidden": "true", text: "?" }), TEXT.launcher]);

    ui.close = el("button", {
      type: "button",
      className: "wgw-close",
      "aria-label": TEXT.closeName
    }, [el("span", { "aria-hidden": "true", className: "wgw-close-x", text: "\u00d7" }), TEXT.close]);

    ui.audienceButtons = {};
    var audienceGroup = el("div", {
      className: "wgw-audience",
      role: "group",
      "aria-labelledby": audienceLabelId
    }, [el("span", { id: audienceLabelId, className: "wgw-toolbar-label", text: TEXT.audienceGroup })]);
    var audienceRow = el("div", { className: "wgw-audience-options" });
    AUDIENCES.forEach(function (audience) {
      var button = el("button", {
        type: "button",
        className: "wgw-toggle",
        "aria-pressed": "false",
        "data-audience": audience,
        text: AUDIENCE_LABELS[audience]
      });
      button.addEventListener("click", function () {
        chooseAudience(audience);
      });
      ui.audienceButtons[audience] = button;
      audienceRow.appendChild(button);
    });
    audienceGroup.appendChild(audienceRow);

    ui.larger = el("button", {
      type: "button",
      className: "wgw-toggle wgw-larger",
      "aria-pressed": "false"
    }, [el("span", { "aria-hidden": "true", className: "wgw-larger-icon", text: "A+" }), TEXT.larger]);
    ui.clear = el("button", { type: "button", className: "wgw-secondary", text: TEXT.clear });

    ui.log = el("div", {
      className: "wgw-log",
      role: "log",
      "aria-live": "polite",
      "aria-relevant": "additions",
      "aria-label": TEXT.log,
      "aria-busy": "false",
      tabindex: "0"
    });

    ui.busy = el("p", { className: "wgw-busy", hidden: true }, [
      el("span", { className: "wgw-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
      TEXT.busy
    ]);

    ui.input = el("textarea", {
      id: inputId,
      className: "wgw-input",
      rows: "2",
      maxlength: "2000",
      autocomplete: "off",
      "aria-describedby": hintId
    });
    ui.send = el("button", { type: "submit", className: "wgw-send", text: TEXT.send });
    ui.form = el("form", { className: "wgw-form", novalidate: true }, [
      el("label", { className: "wgw-label", "for": inputId, text: TEXT.inputLabel }),
      el("span", { id: hintId, className: "wgw-visually-hidden", text: TEXT.inputHint }),
      el("div", { className: "wgw-form-row" }, [ui.input, ui.send])
    ]);

    ui.body = el("div", { className: "wgw-body" }, [
      el("div", { className: "wgw-toolbar" }, [
        audienceGroup,
        el("div", { className: "wgw-tools" }, [ui.larger, ui.clear])
      ]),
      el("p", { id: noticeId, className: "wgw-notice", text: TEXT.notice }),
      ui.log
    ]);

    ui.panel = el("div", {
      id: panelId,
      className: "wgw-panel",
      role: "dialog",
      "aria-modal": "false",
      "aria-labelledby": titleId,
      "aria-describedby": noticeId,
      hidden: true
    }, [
      el("div", { className: "wgw-header" }, [
        el("div", { className: "wgw-heading" }, [
          el("h2", { id: titleId, className: "wgw-title", text: TEXT.title }),
          el("p", { className: "wgw-subtitle", text: TEXT.subtitle })
        ]),
        ui.close
      ]),
      ui.body,
      ui.busy,
      ui.form
    ]);

    ui.root = el("div", { className: "wgw-root", role: "region", "aria-label": TEXT.region }, [
      ui.launcher,
      ui.panel
    ]);
    document.body.appendChild(ui.root);

    ui.launcher.addEventListener("click", function () {
      if (ui.panel.hidden) {
        openPanel();
      } else {
        closePanel();
      }
    });
    ui.close.addEventListener("click", closePanel);
    ui.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        closePanel();
      }
    });
    ui.larger.addEventListener("click", function () {
      largeText = !largeText;
      applyLargeText();
      saveState();
    });
    ui.clear.addEventListener("click", clearConversation);
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitInput();
      }
    });
  }

  function applyLargeText() {
    ui.root.classList.toggle("wgw-large", largeText);
    ui.larger.setAttribute("aria-pressed", largeText ? "true" : "false");
  }

  function applyAudience() {
    AUDIENCES.forEach(function (audience) {
      ui.audienceButtons[audience].setAttribute("aria-pressed", audience === state.audience ? "true" : "false");
    });
  }

  // --- open and close -------------------------------------------------------------------------
  function openPanel() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.root.classList.add("wgw-open");
    ui.input.focus();
    scrollToEnd();
    if (!state.started) {
      startConversation();
    }
  }

  function closePanel() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.root.classList.remove("wgw-open");
    ui.launcher.focus();
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
    ui.body.scrollTop = ui.body.scrollHeight;
  }

  // --- rendering messages (always as text, never as HTML) --------------------------------------
  var URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;

  function appendTextWithLinks(parent, text) {
    var last = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var raw = match[0].replace(/[.,;:!?)\]]+$/, "");
      var start = match.index;
      var safe = null;
      try {
        var parsed = new URL(raw);
        if (parsed.protocol === "http:" || parsed.protocol === "https:") {
          safe = parsed.href;
        }
      } catch (error) {
        safe = null;
      }
      if (!safe) {
        continue;
      }
      if (start > last) {
        parent.appendChild(document.createTextNode(text.slice(last, start)));
      }
      var link = el("a", { href: safe, target: "_blank", rel: "noopener noreferrer", className: "wgw-link" });
      link.appendChild(document.createTextNode(raw));
      link.appendChild(hiddenText(TEXT.newWindow));
      parent.appendChild(link);
      last = start + raw.length;
      URL_RE.lastIndex = last;
    }
    if (last < text.length) {
      parent.appendChild(document.createTextNode(text.slice(last)));
    }
  }

  function renderUser(message) {
    var bubble = el("div", { className: "wgw-msg wgw-msg-user" }, [hiddenText(TEXT.you)]);
    var body = el("span", { className: "wgw-msg-text" });
    if (message.masked) {
      body.appendChild(el("span", { "aria-hidden": "true", text: message.text }));
      body.appendChild(hiddenText(TEXT.maskedName));
    } else {
      body.textContent = message.text;
    }
    bubble.appendChild(body);
    ui.log.appendChild(bubble);
    return bubble;
  }

  function renderBot(message) {
    var bubble = el("div", { className: "wgw-msg wgw-msg-bot" }, [hiddenText(TEXT.bot)]);
    if (message.text) {
      var body = el("span", { className: "wgw-msg-text" });
      appendTextWithLinks(body, message.text);
      bubble.appendChild(body);
    }
    ui.log.appendChild(bubble);
    if (message.buttons && message.buttons.length) {
      renderButtons(message);
    }
    return bubble;
  }

  function renderButtons(message) {
    var group = el("div", { className: "wgw-buttons", role: "group", "aria-label": TEXT.buttonsGroup });
    message.buttons.forEach(function (button, index) {
      var node = el("button", {
        type: "button",
        className: "wgw-choice" + (message.chosen === index ? " wgw-chosen" : ""),
        text: button.title
      });
      if (message.done) {
        node.disabled = true;
      }
      node.addEventListener("click", function () {
        if (message.done || busy) {
          return;
        }
        chooseButton(message, index, group);
      });
      group.appendChild(node);
    });
    // not enumerable: the DOM node must not end up in sessionStorage
    Object.defineProperty(message, "group", { value: group, configurable: true, writable: true });
    ui.log.appendChild(group);
  }

  function renderNote(message) {
    var note = el("p", { className: "wgw-note", text: message.text });
    ui.log.appendChild(note);
    return note;
  }

  function renderMessage(message) {
    if (message.type === "user") {
      return renderUser(message);
    }
    if (message.type === "bot") {
      return renderBot(message);
    }
    return renderNote(message);
  }

  function renderAll() {
    ui.log.textContent = "";
    state.messages.forEach(renderMessage);
    scrollToEnd();
  }

  function setButtonsDone(message, done) {
    message.done = done;
    if (message.group) {
      Array.prototype.forEach.call(message.group.querySelectorAll("button"), function (node) {
        node.disabled = done;
      });
    }
  }

  function closeOpenButtonGroups() {
    state.messages.forEach(function (message) {
      if (message.type === "bot" && message.buttons && message.buttons.length && !message.done) {
        setButtonsDone(message, true);
      }
    });
  }

  // --- errors and the feedback prompt ---------------------------------------------------------
  var errorNode = null;

  function showError(text) {
    clearError();
    errorNode = el("p", { className: "wgw-error", role: "alert", text: text });
    ui.log.appendChild(errorNode);
    scrollToEnd();
  }

  function clearError() {
    if (errorNode && errorNode.parentNode) {
      errorNode.parentNode.removeChild(errorNode);
    }
    errorNode = null;
  }

  var feedbackNode = null;

  function removeFeedbackPrompt() {
    if (feedbackNode && feedbackNode.parentNode && !feedbackNode.classList.contains("wgw-feedback-done")) {
      feedbackNode.parentNode.removeChild(feedbackNode);
    }
    feedbackNode = null;
  }

  function wantsFeedback(botMessages) {
    if (!botMessages.length) {
      return false;
    }
    var last = botMessages[botMessages.length - 1];
    var text = (last.text || "").trim();
    // A question (with or without buttons) waits for an answer, not for a rating.
    return text.length > 0 && !/\?$/.test(text);
  }

  function showFeedbackPrompt() {
    removeFeedbackPrompt();
    var questionId = uid("feedback");
    var yes = el("button", { type: "button", className: "wgw-choice wgw-feedback-button", text: TEXT.yes });
    var no = el("button", { type: "button", className: "wgw-choice wgw-feedback-button", text: TEXT.no });
    var node = el("div", { className: "wgw-feedback", role: "group", "aria-labelledby": questionId }, [
      el("span", { id: questionId, className: "wgw-feedback-question", text: TEXT.feedbackQuestion }),
      yes,
      no
    ]);
    function answer(value) {
      if (busy) {
        return;
      }
      var restoreFocus = ui.panel.contains(document.activeElement);
      yes.disabled = true;
      no.disabled = true;
      post('/feedback{"helpful":"' + value + '"}').then(function (messages) {
        // The bot thanks (in the user's audience) and, after a "no", offers a person: the
        // thanks replaces the prompt, anything after it is shown as a normal bot message.
        var reply = readReply(messages);
        var replies = reply.bots;
        if (reply.privateNext) {
          state.privateNext = true;
        }
        var thanks = replies.length && replies[0].text && !replies[0].buttons.length
          ? replies.shift().text : TEXT.thanks;
        node.textContent = "";
        node.classList.add("wgw-feedback-done");
        node.removeAttribute("role");
        node.removeAttribute("aria-labelledby");
        node.appendChild(el("span", { className: "wgw-note", text: thanks }));
        if (feedbackNode === node) {
          feedbackNode = null;
        }
        if (replies.length) {
          showBotMessages(replies);
          saveState();
          scrollToEnd();
        }
      }, function () {
        yes.disabled = false;
        no.disabled = false;
        showError(TEXT.feedbackFailed);
      }).then(function () {
        if (restoreFocus) {
          ui.input.focus();
        }
      });
    }
    yes.addEventListener("click", function () { answer("yes"); });
    no.addEventListener("click", function () { answer("no"); });
    feedbackNode = node;
    ui.log.appendChild(node);
  }

  // --- talking to the server ------------------------------------------------------------------
  var busy = false;

  function setBusy(value) {
    busy = value;
    ui.log.setAttribute("aria-busy", value ? "true" : "false");
    ui.busy.hidden = !value;
    ui.send.setAttribute("aria-disabled", value ? "true" : "false");
    Object.keys(ui.audienceButtons).forEach(function (audience) {
      ui.audienceButtons[audience].setAttribute("aria-disabled", value ? "true" : "false");
    });
    ui.clear.setAttribute("aria-disabled", value ? "true" : "false");
    if (value) {
      scrollToEnd();
    }
  }

  /** POST one message; resolves with the bot messages, rejects on a network or HTTP error. */
  function post(text) {
    var body = { sender: state.sender, message: text };
    if (municipality) {
      body.metadata = { municipality: municipality };
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS) : null;
    return window.fetch(webhookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (messages) {
      if (!Array.isArray(messages)) {
        throw new Error("unexpected answer");
      }
      return messages;
    }).finally(function () {
      if (timer) {
        window.clearTimeout(timer);
      }
    });
  }

  var replyCounter = 0;

  /**
   * The bot's messages of one reply, and its private markers: { bots, privateNext }.
   * A message with only `custom` gives no bubble; with the "reply" marker every bot message of
   * this reply is marked `privateReply` (never written to sessionStorage).
   */
  function readReply(messages) {
    var privateNext = false;
    var privateReply = false;
    messages.forEach(function (message) {
      var custom = message && message.custom;
      if (custom && typeof custom === "object") {
        if (custom[PRIVATE_KEY] === PRIVATE_NEXT_INPUT) {
          privateNext = true;
        } else if (custom[PRIVATE_KEY] === PRIVATE_REPLY) {
          privateReply = true;
        }
      }
    });
    var bots = toBotMessages(messages);
    if (privateReply) {
      replyCounter += 1;
      var id = Date.now() + "-" + replyCounter;
      bots.forEach(function (message) {
        message.privateReply = id;
      });
    }
    return { bots: bots, privateNext: privateNext };
  }

  function toBotMessages(messages) {
    var result = [];
    messages.forEach(function (message) {
      if (!message || (typeof message.text !== "string" && !Array.isArray(message.buttons))) {
        return; // also a message with only `custom`: no bubble
      }
      var buttons = (message.buttons || []).filter(function (button) {
        return button && typeof button.title === "string" && typeof button.payload === "string";
      }).map(function (button) {
        return { title: button.title, payload: button.payload };
      });
      result.push({ type: "bot", text: typeof message.text === "string" ? message.text : "", buttons: buttons });
    });
    return result;
  }

  /** Keep and show the bot's messages; earlier button groups can no longer be chosen. */
  function showBotMessages(botMessages) {
    closeOpenButtonGroups();
    botMessages.forEach(function (message) {
      state.messages.push(message);
      renderBot(message);
    });
  }

  function audienceOf(payload) {
    var match = /^\/set_audience\{"audience"\s*:\s*"(parent|simple|professional)"\}$/.exec(payload);
    return match ? match[1] : null;
  }

  /**
   * Send `text` to the bot. options.shown: the user's bubble text (null: a silent message);
   * options.fromInput: clear the input after the server answered OK;
   * options.showReply: render the bot's answer (default true).
   */
  function send(text, options) {
    options = options || {};
    if (busy) {
      return Promise.reject(new Error("busy"));
    }
    clearError();
    removeFeedbackPrompt();
    var pendingBubble = null;
    var userMessage = null;
    if (options.shown) {
      userMessage = { type: "user", text: options.shown };
      if (options.fromInput && state.privateNext) {
        userMessage.private = true; // shown as typed, kept masked
      }
      pendingBubble = renderUser(userMessage);
      pendingBubble.classList.add("wgw-pending");
    }
    setBusy(true);
    return post(text).then(function (messages) {
      if (pendingBubble) {
        pendingBubble.classList.remove("wgw-pending");
        state.messages.push(userMessage);
      }
      state.started = true; // a conversation is under way: no greeting in the middle of it
      if (options.fromInput && ui.input.value.trim() === text) {
        ui.input.value = ""; // only now: until the server answered, the text stays
      }
      var chosenAudience = audienceOf(text);
      if (chosenAudience) {
        state.audience = chosenAudience;
        applyAudience();
      }
      var reply = readReply(messages);
      if (reply.privateNext) {
        state.privateNext = true;
      } else if (userMessage) {
        state.privateNext = false; // the user answered; this reply asks nothing private
      }
      if (options.showReply !== false) {
        var botMessages = reply.bots;
        showBotMessages(botMessages);
        if (options.feedback !== false && wantsFeedback(botMessages)) {
          showFeedbackPrompt();
        }
      }
      saveState();
      setBusy(false);
      scrollToEnd();
      return messages;
    }, function (error) {
      if (pendingBubble && pendingBubble.parentNode) {
        pendingBubble.parentNode.removeChild(pendingBubble);
      }
      setBusy(false);
      showError(options.fromInput ? TEXT.unreachable : TEXT.unreachableChoice);
      throw error;
    });
  }

  function ignore() {
    // the error is already shown to the user
  }

  function submitInput() {
    var text = ui.input.value.trim();
    if (!text || busy) {
      return;
    }
    send(text, { shown: text, fromInput: true }).catch(ignore);
  }

  function chooseButton(message, index, group) {
    var button = message.buttons[index];
    var nodes = group.querySelectorAll("button");
    var hadFocus = group.contains(document.activeElement);
    setButtonsDone(message, true);
    message.chosen = index;
    nodes[index].classList.add("wgw-chosen");
    if (hadFocus) {
      ui.input.focus(); // the buttons are disabled now; keep the keyboard user in the chat
    }
    send(button.payload, { shown: button.title }).catch(function () {
      setButtonsDone(message, false);
      message.chosen = undefined;
      nodes[index].classList.remove("wgw-chosen");
    });
  }

  function chooseAudience(audience) {
    if (busy || audience === state.audience) {
      applyAudience();
      return;
    }
    var previous = state.audience;
    state.audience = audience;
    applyAudience();
    send('/set_audience{"audience":"' + audience + '"}', { feedback: false }).catch(function () {
      state.audience = previous;
      applyAudience();
    });
  }

  function startConversation() {
    state.started = true;
    var steps = Promise.resolve();
    if (state.audience !== "parent") {
      var audience = state.audience;
      steps = steps.then(function () {
        return send('/set_audience{"audience":"' + audience + '"}', { showReply: false });
      });
    }
    steps.then(function () {
      return send("/greet", { feedback: false });
    }).then(function () {
      saveState();
    }, function () {
      state.started = false; // try the greeting again at the next open
    });
  }

  function clearConversation() {
    if (busy) {
      return;
    }
    wipe(TEXT.cleared);
    ui.input.focus();
    startConversation();
  }

  /** Forget the conversation (storage and screen) and start a fresh state with a new sender id. */
  function wipe(noteText) {
    var audience = state.audience;
    clearError();
    removeFeedbackPrompt();
    if (storage) {
      storage.removeItem(storageKey);
    }
    state = freshState(audience);
    renderAll();
    renderNote({ type: "note", text: noteText });
  }

  /** After IDLE_LIMIT_MS without activity an open page forgets the conversation too. */
  function checkIdle() {
    if (busy || !state.messages.length || !isExpired(state.t)) {
      return;
    }
    wipe(TEXT.expired);
  }

  // --- start ----------------------------------------------------------------------------------
  function init() {
    ensureStylesheet();
    build();
    applyLargeText();
    applyAudience();
    renderAll();
    window.setInterval(checkIdle, IDLE_CHECK_MS);
    document.addEventListener("visibilitychange", checkIdle);
    window.addEventListener("pageshow", checkIdle);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
