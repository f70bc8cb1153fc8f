/*
 * Finsam-assistenten: chat widget of Samordningsförbundet i Blekinge.
 *
 * Embed with one tag:  <script src="https://BOT-HOST/webhooks/web/widget.js" defer></script>
 * It loads widget.css and talks to the channel (channels/web.py) next to this file.
 *
 * Rules kept here: everything the user or the bot wrote is set with textContent (never
 * innerHTML); no inline styles or scripts (works under a strict Content-Security-Policy);
 * WCAG 2.1 AA (log with aria-live, visible label, keyboard use, visible focus).
 * The session key is a password to the conversation: it is sent in the X-Finsam-Session header
 * (never in a URL), kept in sessionStorage (gone when the tab closes), and "Avsluta och glöm"
 * ends it on the server too. Drafts are fetched through short-lived signed links.
 * To continue another day, "Spara och fortsätt senare" (or a goodbye mid-sketch) shows a one-time
 * fortsättningskod; "Fortsätt med en kod" opens it in a new session (channels/web_resume.py). The
 * code is shown once and never stored in the browser.
 * Optional settings before the tag: window.FinsamChatConfig = {slowMs, timeoutMs}.
 */
(function () {
  "use strict";

  if (window.__finsamChatLoaded) {
    return;
  }
  window.__finsamChatLoaded = true;

  var script = document.currentScript;
  var scriptUrl = script && script.src ? new URL(script.src, document.baseURI) : null;
  var BASE = scriptUrl ? scriptUrl.href.replace(/\/widget\.js(?:[?#].*)?$/, "") : "/webhooks/web";
  var config = window.FinsamChatConfig || {};
  var SLOW_MS = Number(config.slowMs) || 8000;
  var TIMEOUT_MS = Number(config.timeoutMs) || 60000;
  var STORAGE_KEY = "finsam-chat-session";
  var SESSION_HEADER = "X-Finsam-Session";
  var SESSION_FORMAT = /^[A-Za-z0-9_-]{43}$/;

  var TEXT = {
    botName: "Finsam-assistenten (bot)",
    launcher: "Fråga Finsam-assistenten",
    launcherBot: " (en bot)",
    subtitle: "Svar utifrån förbundets egna dokument",
    close: "Stäng",
    closeLabel: "Stäng chatten",
    end: "Avsluta och glöm",
    // The accessible name starts with the visible text (WCAG 2.5.3, axe label-content-name-mismatch).
    endLabel: "Avsluta och glöm samtalet",
    ended: "Samtalet är avslutat och den här webbläsaren har glömt det. Skriv igen för att börja ett nytt samtal.",
    erased: "Det du skrev är också raderat hos förbundet. Ett utkast som du redan har skickat finns kvar hos kansliet.",
    conversation: "Samtalet med Finsam-assistenten",
    log: "Meddelanden",
    welcome: "Hej! Jag är Finsam-assistenten – en bot, ingen människa. Fråga om att söka medel från " +
      "förbundet, eller skriv ”jag har en idé” så hjälper jag dig att skriva en idéskiss till förbundets kansli.",
    noticeTitle: "Innan du skriver",
    notice: "Skriv inte personuppgifter om enskilda personer (till exempel namn, personnummer eller " +
      "hälsouppgifter om deltagare). Det du skriver sparas hos förbundet, " +
      "och utkastet till idéskissen läses av förbundets kansli. Samtal och utkast gallras efter {dagar} dagar. " +
      "Personnummer tar jag bort automatiskt innan något sparas. En samtalsnyckel sparas i webbläsaren " +
      "tills du stänger fliken, så att samtalet finns kvar om du laddar om sidan; efter {timmar} utan " +
      "aktivitet börjar ett nytt samtal. Vill du fortsätta en idéskiss senare väljer du ”Spara och fortsätt " +
      "senare”: du får en fortsättningskod som visas en gång och gäller en gång, en begränsad tid " +
      "({koddagar} dagar). Förbundet sparar bara en kontrollsumma av koden. Knappen ”Avsluta och glöm” " +
      "avslutar samtalet direkt, och koden slutar gälla.",
    you: "Du:",
    bot: "Finsam-assistenten (bot):",
    suggestions: "Svarsförslag",
    label: "Ditt meddelande",
    hint: "Enter skickar, Skift+Enter ger ny rad.",
    send: "Skicka",
    typing: "Finsam-assistenten skriver",
    slow: "Det tar längre tid än vanligt. Jag väntar fortfarande på svar …",
    wait: "Vänta tills assistenten har svarat.",
    empty: "Skriv ett meddelande först.",
    retry: "Försök igen",
    offline: "Jag fick inget svar från servern. Kontrollera din anslutning och försök igen.",
    timeout: "Svaret dröjde för länge och jag slutade vänta. Försök igen.",
    failed: "Något gick fel när meddelandet skulle skickas. Försök igen.",
    historyFailed: "Jag kunde inte hämta det tidigare samtalet.",
    download: "Ladda ner utkastet (Word, draft.docx)",
    downloadMd: "som text (draft.md)",
    downloadFailed: "Jag kunde inte hämta utkastet.",
    // 👍/👎 under an answer (channels/web_feedback.py); the emoji is hidden, the words are read.
    feedbackGood: "Bra svar",
    feedbackBad: "Dåligt svar",
    feedbackThanks: "Tack för återkopplingen!",
    // The fortsättningskod (channels/web_resume.py).
    saveLater: "Spara och fortsätt senare",
    resumeOpen: "Fortsätt med en kod",
    nothingToSave: "Det finns inget samtal att spara än. Skriv ”jag har en idé” för att börja en idéskiss.",
    codeLabel: "Fortsättningskod",
    codeHint: "16 tecken, till exempel ABCD-EFGH-JKMN-PQRS. Stora eller små bokstäver går bra.",
    codeSubmit: "Fortsätt",
    codeCancel: "Avbryt",
    codeEmpty: "Skriv in koden först.",
    codeShown: "Din kod (visas bara nu):"
  };

  // ------------------------------------------------------------------ helpers
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  var memoryStore = {};
  try {
    // Earlier versions kept the key in localStorage, with no end: remove it.
    window.localStorage.removeItem(STORAGE_KEY);
  } catch (e) {
    // storage blocked: nothing was kept there either
  }
  function loadSession() {
    var value;
    try {
      value = window.sessionStorage.getItem(STORAGE_KEY);
    } catch (e) {
      value = memoryStore[STORAGE_KEY];
    }
    return value && SESSION_FORMAT.test(value) ? value : null;
  }
  function saveSession(value) {
    try {
      if (value) {
        window.sessionStorage.setItem(STORAGE_KEY, value);
      } else {
        window.sessionStorage.removeItem(STORAGE_KEY);
      }
    } catch (e) {
      memoryStore[STORAGE_KEY] = value;
    }
  }

  function request(method, path, body, sessionKey) {
    var controller = window.AbortController ? new AbortController() : null;
    var timedOut = false;
    var slowTimer = window.setTimeout(function () {
      setStatus(TEXT.slow, false);
    }, SLOW_MS);
    var abortTimer = window.setTimeout(function () {
      timedOut = true;
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);
    var options = {method: method, headers: {"Accept": "application/json"}, credentials: "omit"};
    if (sessionKey) {
      options.headers[SESSION_HEADER] = sessionKey;
    }
    if (controller) {
      options.signal = controller.signal;
    }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    function done() {
      window.clearTimeout(slowTimer);
      window.clearTimeout(abortTimer);
    }
    return window.fetch(BASE + path, options).then(function (reply) {
      return reply.json().catch(function () {
        return {};
      }).then(function (data) {
        done();
        if (!reply.ok) {
          var error = new Error(data && data.error ? data.error : TEXT.failed);
          error.status = reply.status;
          error.serverText = data && typeof data.error === "string" ? data.error : null;
          throw error;
        }
        return data;
      });
    }, function () {
      done();
      var error = new Error(timedOut ? TEXT.timeout : TEXT.offline);
      error.status = 0;
      throw error;
    });
  }

  // ---------------------------------------------------------------------- DOM
  var root = el("div", {"class": "finsam-chat", "lang": "sv"});
  var launcher = el("button", {
    "type": "button", "class": "finsam-launcher", "id": "finsam-launcher",
    "aria-expanded": "false", "aria-controls": "finsam-panel"
  });
  launcher.appendChild(el("span", {"class": "finsam-launcher-icon", "aria-hidden": "true"}));
  launcher.appendChild(el("span", {}, TEXT.launcher));
  launcher.appendChild(el("span", {"class": "finsam-sr"}, TEXT.launcherBot));

  var panel = el("div", {
    "class": "finsam-panel", "id": "finsam-panel", "role": "dialog",
    "aria-modal": "false", "aria-labelledby": "finsam-title", "hidden": ""
  });
  var header = el("div", {"class": "finsam-header"});
  var titles = el("div", {"class": "finsam-titles"});
  titles.appendChild(el("h2", {"class": "finsam-title", "id": "finsam-title"}, TEXT.botName));
  titles.appendChild(el("p", {"class": "finsam-subtitle"}, TEXT.subtitle));
  var endButton = el("button", {"type": "button", "class": "finsam-header-button finsam-end",
    "aria-label": TEXT.endLabel}, TEXT.end);
  var closeButton = el("button", {"type": "button", "class": "finsam-header-button finsam-close",
    "aria-label": TEXT.closeLabel}, TEXT.close);
  header.appendChild(titles);
  header.appendChild(endButton);
  header.appendChild(closeButton);

  var body = el("div", {"class": "finsam-body", "role": "region", "aria-label": TEXT.conversation,
    "tabindex": "0"});
  body.appendChild(el("p", {"class": "finsam-welcome"}, TEXT.welcome));
  var notice = el("div", {"class": "finsam-notice", "id": "finsam-notice"});
  notice.appendChild(el("h3", {"class": "finsam-notice-title"}, TEXT.noticeTitle));
  notice.appendChild(el("p", {}, TEXT.notice));
  body.appendChild(notice);
  var log = el("div", {"class": "finsam-log", "role": "log", "aria-live": "polite", "aria-label": TEXT.log});
  body.appendChild(log);
  // Quick replies scroll with the conversation, right after the message they belong to.
  var quick = el("div", {"class": "finsam-quick", "role": "group", "aria-label": TEXT.suggestions, "hidden": ""});
  body.appendChild(quick);
  var status = el("div", {"class": "finsam-status", "role": "status", "aria-live": "polite"});
  var errorBox = el("div", {"class": "finsam-error", "hidden": ""});
  var errorText = el("p", {"class": "finsam-error-text", "role": "alert"});
  var retryButton = el("button", {"type": "button", "class": "finsam-retry"}, TEXT.retry);
  errorBox.appendChild(errorText);
  errorBox.appendChild(retryButton);

  var form = el("form", {"class": "finsam-form", "novalidate": ""});
  var labelRow = el("div", {"class": "finsam-label-row"});
  labelRow.appendChild(el("label", {"for": "finsam-input", "class": "finsam-label"}, TEXT.label));
  labelRow.appendChild(el("span", {"class": "finsam-hint", "id": "finsam-hint"}, TEXT.hint));
  var inputRow = el("div", {"class": "finsam-input-row"});
  var input = el("textarea", {"id": "finsam-input", "class": "finsam-input", "rows": "2",
    // No maxlength: it would cut a pasted answer silently. The bot states the one limit per answer.
    "aria-describedby": "finsam-hint", "autocomplete": "off"});
  var sendButton = el("button", {"type": "submit", "class": "finsam-send"}, TEXT.send);
  inputRow.appendChild(input);
  inputRow.appendChild(sendButton);
  form.appendChild(labelRow);
  form.appendChild(inputRow);

  var tools = el("div", {"class": "finsam-tools"});
  var saveLaterButton = el("button", {"type": "button", "class": "finsam-tool finsam-save-later"}, TEXT.saveLater);
  var resumeOpenButton = el("button", {"type": "button", "class": "finsam-tool finsam-resume-open",
    "aria-expanded": "false", "aria-controls": "finsam-resume-form"}, TEXT.resumeOpen);
  tools.appendChild(saveLaterButton);
  tools.appendChild(resumeOpenButton);
  var resumeForm = el("form", {"class": "finsam-resume-form", "id": "finsam-resume-form", "novalidate": "",
    "hidden": ""});
  resumeForm.appendChild(el("label", {"for": "finsam-code", "class": "finsam-label"}, TEXT.codeLabel));
  resumeForm.appendChild(el("p", {"class": "finsam-hint", "id": "finsam-code-hint"}, TEXT.codeHint));
  var codeRow = el("div", {"class": "finsam-input-row"});
  var codeInput = el("input", {"id": "finsam-code", "class": "finsam-code-input", "type": "text",
    "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
    "aria-describedby": "finsam-code-hint finsam-code-error"});
  var codeSubmit = el("button", {"type": "submit", "class": "finsam-code-submit"}, TEXT.codeSubmit);
  var codeCancel = el("button", {"type": "button", "class": "finsam-tool finsam-code-cancel"}, TEXT.codeCancel);
  codeRow.appendChild(codeInput);
  codeRow.appendChild(codeSubmit);
  codeRow.appendChild(codeCancel);
  resumeForm.appendChild(codeRow);
  var codeError = el("p", {"class": "finsam-code-error", "id": "finsam-code-error", "role": "alert"});
  resumeForm.appendChild(codeError);

  [header, body, status, errorBox, tools, resumeForm, form].forEach(function (part) {
    panel.appendChild(part);
  });
  root.appendChild(panel);
  root.appendChild(launcher);

  // -------------------------------------------------------------------- state
  var session = loadSession();
  var pending = false;
  var retryAction = null;

  function scrollToEnd() {
    body.scrollTop = body.scrollHeight;
  }

  function setStatus(text, typing) {
    status.textContent = "";
    if (!text) {
      status.classList.remove("finsam-typing");
      return;
    }
    status.appendChild(el("span", {}, text));
    status.classList.toggle("finsam-typing", !!typing);
    if (typing) {
      var dots = el("span", {"class": "finsam-dots", "aria-hidden": "true"});
      for (var i = 0; i < 3; i += 1) {
        dots.appendChild(el("span", {"class": "finsam-dot"}));
      }
      status.appendChild(dots);
    }
  }

  function showError(message, action) {
    errorText.textContent = message;
    retryAction = action;
    retryButton.hidden = !action;
    errorBox.hidden = false;
    scrollToEnd();
  }

  function hideError() {
    errorBox.hidden = true;
    errorText.textContent = "";
    retryAction = null;
  }

  // The link the server sent is signed and short-lived; a click asks for a fresh one first,
  // so an old conversation's link still works and no session key is ever put in a URL.
  function draftLink(url, text, className) {
    var link = el("a", {"href": BASE + "/" + url, "class": className, "download": ""}, text);
    var parts = url.split("?")[0].split("/");
    link.addEventListener("click", function (event) {
      if (!session) {
        return;
      }
      event.preventDefault();
      request("POST", "/draft-link", {reference: parts[1], file: parts[2]}, session).then(function (data) {
        link.href = BASE + "/" + data.url;
        window.location.assign(link.href);
      }, function (error) {
        showError(TEXT.downloadFailed + " " + (error.serverText || error.message), null);
      });
    });
    return link;
  }

  function feedbackButtons(answer) {
    var group = el("p", {"class": "finsam-feedback"});
    [["up", "👍", TEXT.feedbackGood], ["down", "👎", TEXT.feedbackBad]].forEach(function (choice) {
      var button = el("button", {"type": "button", "class": "finsam-feedback-" + choice[0]});
      button.appendChild(el("span", {"aria-hidden": "true"}, choice[1]));
      button.appendChild(el("span", {"class": "finsam-sr"}, choice[2]));
      button.addEventListener("click", function () {
        request("POST", "/feedback", {answer: answer, rating: choice[0]}, session).then(function (data) {
          group.textContent = (data && data.text) || TEXT.feedbackThanks;
        }, function (error) {
          showError(error.serverText || error.message, null);
        });
      });
      group.appendChild(button);
    });
    return group;
  }

  function addMessage(sender, message) {
    var item = el("div", {"class": "finsam-msg finsam-msg-" + sender});
    item.appendChild(el("span", {"class": "finsam-sr"}, sender === "user" ? TEXT.you + " " : TEXT.bot + " "));
    var textNode = el("span", {"class": "finsam-text"}, message.text || "");
    item.appendChild(textNode);
    if (sender === "bot" && message.draft_url) {
      var links = el("p", {"class": "finsam-downloads"});
      links.appendChild(draftLink(message.draft_url, TEXT.download, "finsam-download"));
      if (message.draft_md_url) {
        links.appendChild(document.createTextNode(" · "));
        links.appendChild(draftLink(message.draft_md_url, TEXT.downloadMd, "finsam-download-md"));
      }
      item.appendChild(links);
    }
    if (sender === "bot" && message.resume_code) {
      var shownCode = el("p", {"class": "finsam-code"});
      shownCode.appendChild(el("span", {"class": "finsam-code-label"}, TEXT.codeShown + " "));
      shownCode.appendChild(el("strong", {"class": "finsam-code-value"}, message.resume_code));
      item.appendChild(shownCode);
    }
    if (sender === "bot" && message.feedback && message.text) {
      item.appendChild(feedbackButtons(message.text));
    }
    log.appendChild(item);
    scrollToEnd();
    return textNode;
  }

  function showQuickReplies(buttons) {
    quick.textContent = "";
    (buttons || []).forEach(function (button) {
      var node = el("button", {"type": "button", "class": "finsam-quick-reply"}, button.title);
      node.addEventListener("click", function () {
        send(button.payload, button.title);
        input.focus();
      });
      quick.appendChild(node);
    });
    quick.hidden = !quick.firstChild;
    scrollToEnd();
  }

  function renderBotMessages(messages) {
    var buttons = null;
    (messages || []).forEach(function (message) {
      if (message.text || message.draft_url) {
        addMessage("bot", message);
      }
      if (message.buttons && message.buttons.length) {
        buttons = message.buttons;
      }
    });
    showQuickReplies(buttons);
  }

  function ensureSession() {
    if (session) {
      return Promise.resolve(session);
    }
    return request("POST", "/session", {}).then(function (data) {
      if (!data || !SESSION_FORMAT.test(data.session || "")) {
        throw new Error(TEXT.failed);
      }
      session = data.session;
      saveSession(session);
      return session;
    });
  }

  function forgetSession() {
    session = null;
    saveSession(null);
  }

  function deliver(text, shownNode) {
    pending = true;
    hideError();
    setStatus(TEXT.typing, true);
    ensureSession().then(function (current) {
      return request("POST", "/message", {message: text}, current);
    }).then(function (data) {
      pending = false;
      setStatus("", false);
      // Show what was stored: a personnummer is gone from the screen too.
      if (data.user_text && shownNode && shownNode.textContent === text) {
        shownNode.textContent = data.user_text;
      }
      renderBotMessages(data.messages);
    }, function (error) {
      pending = false;
      setStatus("", false);
      if (error.status === 400 && session) {
        forgetSession(); // an old or damaged key: the retry starts a new conversation
      }
      showError(error.serverText || error.message || TEXT.failed, function () {
        deliver(text, shownNode);
      });
    });
  }

  function send(text, shown) {
    if (pending) {
      setStatus(TEXT.wait, false);
      return false;
    }
    showQuickReplies(null);
    var node = addMessage("user", {text: shown || text});
    deliver(text, shown ? null : node);
    return true;
  }

  function renderHistory(messages) {
    log.setAttribute("aria-live", "off"); // the old conversation is shown, not read out again
    log.textContent = "";
    var lastButtons = null;
    messages.forEach(function (message) {
      addMessage(message.sender === "user" ? "user" : "bot", message);
      lastButtons = message.sender === "bot" ? message.buttons : null;
    });
    showQuickReplies(lastButtons);
    window.setTimeout(function () {
      log.setAttribute("aria-live", "polite");
    }, 0);
  }

  function loadHistory() {
    if (!session) {
      return;
    }
    request("GET", "/history", undefined, session).then(function (data) {
      hideError();
      setStatus("", false);
      renderHistory(data.messages || []);
    }, function (error) {
      setStatus("", false);
      if (error.status === 400) {
        forgetSession();
        return;
      }
      showError(TEXT.historyFailed + " " + (error.serverText || error.message), loadHistory);
    });
  }

  // ------------------------------------------------------------------- events
  function openPanel() {
    panel.hidden = false;
    root.classList.add("finsam-open");
    launcher.setAttribute("aria-expanded", "true");
    if (log.firstChild) {
      scrollToEnd();
    } else {
      body.scrollTop = 0; // the welcome and the privacy notice first
    }
    input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    root.classList.remove("finsam-open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) {
      openPanel();
    } else {
      closePanel();
    }
  });
  closeButton.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" || event.key === "Esc") {
      event.preventDefault();
      closePanel();
    }
  });
  endButton.addEventListener("click", function () {
    if (pending) {
      setStatus(TEXT.wait, false);
      return;
    }
    var ending = session;
    // Forget here at once, whatever the server answers; the server marks the key as ended.
    forgetSession();
    log.textContent = "";
    showQuickReplies(null);
    hideError();
    setStatus(TEXT.ended, false);
    input.focus();
    if (ending) {
      request("POST", "/end", {}, ending).then(function (data) {
        if (data && data.erased) {
          setStatus(TEXT.ended + " " + TEXT.erased, false);
        }
      }, function () {
        // Offline: the key is gone from this browser and expires on the server when idle.
      });
    }
  });
  saveLaterButton.addEventListener("click", function () {
    if (pending) {
      setStatus(TEXT.wait, false);
      return;
    }
    hideError();
    if (!session) {
      setStatus(TEXT.nothingToSave, false);
      return;
    }
    request("POST", "/resume-code", {}, session).then(function (data) {
      setStatus("", false);
      renderBotMessages(data.messages);
    }, function (error) {
      showError(error.serverText || error.message, null);
    });
  });

  function showResumeForm(open) {
    resumeForm.hidden = !open;
    resumeOpenButton.setAttribute("aria-expanded", open ? "true" : "false");
    codeError.textContent = "";
    if (open) {
      codeInput.focus();
    } else {
      input.focus();
    }
  }
  resumeOpenButton.addEventListener("click", function () {
    showResumeForm(resumeForm.hidden);
  });
  codeCancel.addEventListener("click", function () {
    codeInput.value = "";
    showResumeForm(false);
  });
  // The code opens the stored conversation in a NEW session key; the old key and the code are
  // used up on the server. The code itself is never kept in the browser.
  resumeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = codeInput.value.trim();
    if (!code) {
      codeError.textContent = TEXT.codeEmpty;
      codeInput.focus();
      return;
    }
    if (pending) {
      codeError.textContent = TEXT.wait;
      return;
    }
    pending = true;
    codeError.textContent = "";
    hideError();
    setStatus(TEXT.typing, true);
    var fresh = null;
    request("POST", "/session", {}).then(function (data) {
      if (!data || !SESSION_FORMAT.test(data.session || "")) {
        throw new Error(TEXT.failed);
      }
      fresh = data.session;
      return request("POST", "/resume", {code: code}, fresh);
    }).then(function (data) {
      pending = false;
      setStatus("", false);
      session = fresh;
      saveSession(session);
      codeInput.value = "";
      resumeForm.hidden = true;
      resumeOpenButton.setAttribute("aria-expanded", "false");
      renderHistory(data.history || []);
      renderBotMessages(data.messages);
      input.focus();
    }, function (error) {
      pending = false;
      setStatus("", false);
      codeError.textContent = error.serverText || error.message || TEXT.failed;
      codeInput.focus();
    });
  });

  retryButton.addEventListener("click", function () {
    var action = retryAction;
    hideError();
    input.focus();
    if (action) {
      action();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      setStatus(TEXT.empty, false);
      input.focus();
      return;
    }
    if (send(text)) {
      input.value = "";
    }
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) {
        form.requestSubmit();
      } else {
        sendButton.click();
      }
    }
  });

  // -------------------------------------------------------------------- start
  function start() {
    if (!document.querySelector("link[data-finsam-chat]")) {
      var css = el("link", {"rel": "stylesheet", "href": BASE + "/widget.css", "data-finsam-chat": ""});
      document.head.appendChild(css);
    }
    document.body.appendChild(root);
    loadHistory();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
