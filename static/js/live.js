/* The only custom script: connects to the live server, hands pushed HTML to htmx,
   sends the actions marked data-live over the socket, counts down timers.
   The page says who it is in <body data-live='{"seance": 3}'> (or screen/facilitator). */
(function () {
  "use strict";
  var body = document.body;
  var auth = JSON.parse(body.getAttribute("data-live") || "{}");
  auth.fresh = true; // the page was just rendered: no need to resend it all
  var status = document.getElementById("live-status");
  var message = document.getElementById("live-message");
  var texts = JSON.parse(body.getAttribute("data-texts") || "{}");

  function say(text, kind) {
    if (!message) return;
    message.textContent = text;
    message.className = "live-message " + (kind || "info");
    toastFades(kind);
  }
  function setOnline(online, text) {
    body.classList.toggle("offline", !online);
    body.setAttribute("data-connected", online ? "yes" : "no");
    if (status) status.textContent = online ? "" : text;
  }
  function swap(html) {
    var kept = keepWhatIsTyped();
    htmx.swap(document.body, html, { swapStyle: "none" });
    restoreWhatIsTyped(kept);
    markMine();
    budgetSpent();
  }
  // "+" is disabled while the budget is spent (the server's count, less taps still on their way).
  var wanted = {}, pending = {};
  function budgetSpent() {
    var budget = document.getElementById("budget");
    if (!budget) return;
    var left = Number(budget.getAttribute("data-left"));
    Object.keys(wanted).forEach(function (id) {
      var box = document.getElementById("need-" + id + "-mine");
      if (box) left -= wanted[id] - Number(box.getAttribute("data-count"));
    });
    document.querySelectorAll(".mine[data-count]").forEach(function (box) {
      var plus = box.querySelector("button[data-live='vote']:last-of-type");
      if (plus) plus.disabled = left <= 0;
    });
  }

  var socket = io({ auth: function (cb) { cb(auth); } });
  socket.on("connect", function () {
    auth.fresh = false; // any later connect is a reconnection: the server resends the board
    setOnline(true);
    clearOfflineNotice();
  });
  socket.on("disconnect", function () {
    setOnline(false, texts.offline || "Connexion perdue : reconnexion en cours…");
  });
  socket.on("connect_error", function (error) {
    var refused = error && error.data && error.message; // a refusal from the server, in French
    setOnline(false, refused || texts.offline || "Connexion perdue : reconnexion en cours…");
  });
  socket.on("html", swap);

  function send(event, payload, element, answered) {
    if (!socket.connected) {
      say(texts.notSent || "Hors connexion : rien n'a été envoyé, réessayez dans un instant.", "error");
      if (answered) answered(false);
      return;
    }
    actionStarted(element, payload);
    socket.timeout(10000).emit(event, payload, function (error, ack) {
      actionEnded(element, event, payload, error, ack);
      if (answered) answered(!error && ack.ok);
      if (error) {
        say(texts.noAnswer || "Pas de réponse du serveur : réessayez.", "error");
      } else if (!ack.ok) {
        say(ack.message, "error");
      } else {
        if (ack.html) swap(ack.html);
        if (event === "add_need" && ack.need_id) rememberAdded(ack.need_id);
        // Emptied once accepted, unless someone already typed the next entry meanwhile (an
        // answer late on venue Wi-Fi must not wipe it).
        if (element.tagName === "FORM" && element.hasAttribute("data-reset") && sameAsSent(element, payload)) element.reset();
        say(element.getAttribute("data-done") || "", "success");
      }
    });
  }

  function sameAsSent(form, payload) {
    var same = true;
    new FormData(form).forEach(function (value, key) {
      if (key !== "action_id" && String(payload[key] === undefined ? "" : payload[key]) !== String(value)) same = false;
    });
    return same;
  }

  // --- Action ids (issue 14, item 5) ---------------------------------------------------
  // Every phone action carries an id the server remembers: a double tap, or the same action
  // sent again after a reconnection, takes effect once and gets the same answer. A form keeps
  // its id until the server answered it (a retry of the same entry is the same action) and
  // cannot be sent again while it waits; an action left unanswered by a lost connection is
  // sent again, with its id, once the socket is back.
  var unanswered = new Map(); // a form, or "vote:<need>" -> {event, payload, element}
  function newActionId() {
    var random = new Uint32Array(2);
    (window.crypto || window.msCrypto).getRandomValues(random);
    return Date.now().toString(36) + "-" + random[0].toString(36) + random[1].toString(36);
  }
  function actionKey(element, payload) {
    return element.tagName === "FORM" ? "form:" + payload.action_id
      : "vote:" + payload.need_id; // a need's last vote says all (its dots are absolute)
  }
  function actionStarted(element, payload) {
    if (element.tagName === "FORM") {
      if (!element.dataset.actionId) element.dataset.actionId = newActionId();
      // A form that sends several actions at once (one per year) gives each its own id.
      if (!payload.action_id) payload.action_id = element.dataset.actionId;
      element.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = true; });
    } else if (!payload.action_id) {
      payload.action_id = newActionId();
    }
    element.setAttribute("aria-busy", "true");
    unanswered.delete(actionKey(element, payload));
  }
  function actionEnded(element, event, payload, error, ack) {
    element.removeAttribute("aria-busy");
    if (element.tagName === "FORM") {
      element.querySelectorAll("button[type=submit], button:not([type])").forEach(function (b) { b.disabled = false; });
      if (!error) delete element.dataset.actionId; // answered: the next entry is a new action
    }
    if (error && !socket.connected) {
      unanswered.set(actionKey(element, payload), { event: event, payload: payload, element: element });
    }
  }
  function resendUnanswered() {
    var waiting = unanswered;
    unanswered = new Map();
    waiting.forEach(function (action) {
      if (action.element.tagName === "FORM") action.element.dataset.actionId = action.payload.action_id;
      send(action.event, action.payload, action.element);
    });
  }
  var connectedBefore = false;
  socket.on("connect", function () {
    if (connectedBefore) resendUnanswered();
    connectedBefore = true;
  });
  function busy(element) {
    return element.getAttribute("aria-busy") === "true";
  }
  document.addEventListener("input", function (e) {
    var form = e.target.closest && e.target.closest("form[data-live]");
    if (form && !busy(form)) delete form.dataset.actionId; // what is typed now is a new action
  });

  // Quick taps on "+" or "−": a second tap before the first answer must count too. The
  // server takes a need's dots as a number (the last one it reads wins, in the order sent),
  // so each tap sends the count the taps so far make, not the count last drawn.
  function voteCount(button) {
    var id = button.dataset.needId;
    var box = button.closest("[data-count]");
    var drawn = box ? Number(box.getAttribute("data-count")) : Number(button.dataset.dots);
    var step = box ? Number(button.dataset.dots) - drawn : 0;
    var from = id in wanted ? wanted[id] : drawn;
    wanted[id] = Math.max(0, from + step);
    pending[id] = (pending[id] || 0) + 1;
    budgetSpent();
    return wanted[id];
  }
  function voteAnswered(id, ok) {
    pending[id] -= 1;
    if (!ok || pending[id] <= 0) { delete wanted[id]; delete pending[id]; } // the server's count rules again
    budgetSpent();
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-live]");
    if (!button || button.disabled) return;
    e.preventDefault();
    var payload = {};
    Object.keys(button.dataset).forEach(function (key) {
      if (key !== "live" && key !== "done") payload[key.replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); })] = button.dataset[key];
    });
    if (button.getAttribute("data-live") === "vote") {
      var id = button.dataset.needId;
      payload.dots = String(voteCount(button));
      send("vote", payload, button, function (ok) { voteAnswered(id, ok); });
      return;
    }
    send(button.getAttribute("data-live"), payload, button);
  });
  document.addEventListener("submit", function (e) {
    var form = e.target.closest("form[data-live]");
    if (!form) return;
    e.preventDefault();
    if (busy(form)) return; // a double tap on "Ajouter": the first one is on its way
    if (form.hasAttribute("data-years")) { declareYears(form); return; }
    var payload = {};
    new FormData(form).forEach(function (value, key) { payload[key] = value; });
    send(form.getAttribute("data-live"), payload, form);
  });

  // htmx forms marked data-reset empty themselves once the server accepted them.
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (e.detail.successful && form.tagName === "FORM" && form.hasAttribute("data-reset")) form.reset();
  });

  // The server's clock, so that a countdown reads the same on every device whatever
  // its own clock says: a few round trips to /heure, the fastest kept (its error is
  // at most half of it), then counted on the monotonic performance clock.
  var clock = null; // {server: ms on the server's clock, at: performance.now() then}
  function syncClock() {
    var tries = 0, best = null;
    function one() {
      var sent = performance.now();
      fetch("/heure", { cache: "no-store", credentials: "same-origin" }).then(function (r) {
        return r.json();
      }).then(function (data) {
        var back = performance.now(), rtt = back - sent;
        if (!best || rtt < best.rtt) best = { rtt: rtt, server: data.now + rtt / 2, at: back };
        clock = { server: best.server, at: best.at };
        tick();
        if (++tries < 3) one();
      }).catch(function () { /* offline: the next (re)connection measures again */ });
    }
    one();
  }
  function serverNow() {
    return clock ? clock.server + (performance.now() - clock.at) : null;
  }
  socket.on("connect", syncClock);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") syncClock(); // a phone asleep may have lost time
  });
  setInterval(syncClock, 10 * 60 * 1000);

  function tick() {
    var now = Date.now();
    // Pages that turn by themselves (the screen's long lists), chosen from the clock.
    document.querySelectorAll("[data-pages]").forEach(function (box) {
      var pages = box.querySelectorAll(":scope > ol, :scope > .page");
      var shown = Math.floor(now / Number(box.getAttribute("data-pages"))) % Math.max(pages.length, 1);
      pages.forEach(function (page, i) { page.hidden = i !== shown; });
    });
    var server = serverNow();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      if (server === null) { el.textContent = ""; return; } // not measured yet: show no wrong time
      var left = Math.max(0, Math.round((Date.parse(el.getAttribute("data-countdown")) - server) / 1000));
      var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("ending", left <= 30);
    });
    screenTimer(server);
    screenChart(now);
  }

  // --- the projected screen (templates/screen/) ---
  // The countdown's ring empties from when the timer was set to its end; at the end it says
  // "Temps écoulé" and, when the facilitator switched the sound on, beeps once.
  var beeped = {}; // end time -> true: one beep per countdown, not one per refresh
  function screenTimer(server) {
    var ring = document.querySelector("[data-timer-ring]");
    if (!ring || server === null) return;
    var ends = Date.parse(ring.getAttribute("data-ends"));
    var started = Date.parse(ring.getAttribute("data-started") || "");
    var span = isNaN(started) ? 0 : ends - started;
    var left = Math.max(0, ends - server);
    var share = span > 0 ? Math.min(1, left / span) : (left > 0 ? 1 : 0);
    var arc = ring.querySelector(".ring-left");
    if (arc) arc.setAttribute("stroke-dashoffset", String(Math.round((1 - share) * 1000) / 10));
    var over = left <= 0;
    ring.classList.toggle("ending", !over && left <= 30000);
    ring.classList.toggle("over", over);
    var note = document.querySelector(".timer-over");
    if (note) note.hidden = !over;
    var key = ring.getAttribute("data-ends");
    if (over && !beeped[key]) {
      beeped[key] = true;
      // Only a countdown seen running ends with a beep (not one long over when the page opened).
      if (server - ends < 5000) beep();
    }
  }
  // The sound is switched on by a click on the screen page (a browser lets a page sound only
  // after one, so the choice lasts as long as the page: a reloaded screen is silent again).
  var audio = null;
  function soundOn() { return audio !== null; }
  function beep() {
    if (!audio) return;
    if (audio.state === "suspended") audio.resume();
    var t = audio.currentTime;
    [0, 0.35].forEach(function (offset) { // two short tones, 880 Hz, made here (no audio file)
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t + offset);
      gain.gain.exponentialRampToValueAtTime(0.4, t + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + offset + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + offset);
      osc.stop(t + offset + 0.3);
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest("[data-sound-switch]");
    if (!button) return;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (audio) { audio.close(); audio = null; }
    else if (Context) { audio = new Context(); }
    button.setAttribute("aria-pressed", soundOn() ? "true" : "false");
    button.textContent = button.getAttribute(soundOn() ? "data-on" : "data-off");
  });
  // The results' bars grow once when the chart first shows, not at every refresh.
  var chartSince = null;
  function screenChart(now) {
    if (!document.querySelector(".chart")) { chartSince = null; body.classList.remove("chart-shown"); return; }
    if (chartSince === null) chartSince = now;
    else if (now - chartSince > 2500) body.classList.add("chart-shown");
  }
  tick();
  setInterval(tick, 1000);
  budgetSpent();

  // --- The phone (issue 15): what is typed survives a swap, fading messages, declaring
  // several years at once, "Mes besoins". Kept apart from the rest to ease merges.

  // Before a swap (a colleague's figure, a reconnection's whole board): which disclosures are
  // open, what is being typed (a value that differs from the one rendered), where the focus
  // and caret are, and which card is at the top of the screen and where.
  function keepWhatIsTyped() {
    var kept = { open: [], values: [], focus: null, anchor: null };
    document.querySelectorAll("details[id][open]").forEach(function (d) { kept.open.push(d.id); });
    document.querySelectorAll("input[id], textarea[id]").forEach(function (field) {
      if (field.type !== "hidden" && field.value !== field.defaultValue) kept.values.push([field.id, field.value]);
    });
    var active = document.activeElement;
    if (active && active.id && active !== body) {
      kept.focus = { id: active.id, start: null, end: null };
      try { kept.focus.start = active.selectionStart; kept.focus.end = active.selectionEnd; } catch (err) { /* number inputs have no caret API */ }
    }
    var top = headerBottom(), cards = document.querySelectorAll(".need[id], #phase");
    for (var i = 0; i < cards.length; i++) {
      var rect = cards[i].getBoundingClientRect();
      if (rect.bottom > top) { kept.anchor = { id: cards[i].id, top: rect.top }; break; }
    }
    return kept;
  }
  function restoreWhatIsTyped(kept) {
    kept.open.forEach(function (id) { var d = document.getElementById(id); if (d) d.open = true; });
    kept.values.forEach(function (pair) {
      var field = document.getElementById(pair[0]);
      if (field && field.value !== pair[1]) field.value = pair[1];
    });
    if (kept.focus) {
      var field = document.getElementById(kept.focus.id);
      if (field && field !== document.activeElement) {
        field.focus({ preventScroll: true });
        try { if (kept.focus.start !== null) field.setSelectionRange(kept.focus.start, kept.focus.end); } catch (err) { /* no caret */ }
      }
    }
    if (kept.anchor) {
      var anchor = document.getElementById(kept.anchor.id);
      if (anchor) {
        var moved = anchor.getBoundingClientRect().top - kept.anchor.top;
        if (moved) window.scrollBy(0, moved);
      }
    }
  }
  function headerBottom() {
    var header = document.querySelector(".phone-top");
    return header ? header.getBoundingClientRect().bottom : 0;
  }

  // Messages fade (errors stay longer) and never sit on the field in use.
  var toastTimer = null;
  function toastFades(kind) {
    clearTimeout(toastTimer);
    message.classList.remove("fading", "below");
    if (!message.textContent) return;
    var active = document.activeElement, mine = message.getBoundingClientRect();
    if (active && active !== body && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
      var field = active.getBoundingClientRect();
      if (field.top < mine.bottom && field.bottom > mine.top) message.classList.add("below");
    }
    toastTimer = setTimeout(function () {
      message.classList.add("fading");
      toastTimer = setTimeout(function () {
        message.textContent = "";
        message.classList.remove("fading", "below");
      }, 600);
    }, kind === "error" ? 7000 : 3500);
  }
  // Back online: a message about being offline (or unanswered) is no longer true.
  function clearOfflineNotice() {
    if (message && message.classList.contains("error")) {
      clearTimeout(toastTimer);
      message.textContent = "";
      message.className = "live-message";
    }
  }

  // One field per year of the horizon: each figure changed is sent as its own declaration
  // (the server keeps one figure per collectivité, need and year); the box closes when all
  // were accepted. An empty field or an unchanged one is not sent.
  function declareYears(form) {
    var needId = form.querySelector("[name=need_id]").value;
    var changed = Array.prototype.filter.call(form.querySelectorAll("input[data-year]"), function (field) {
      return field.value !== "" && field.value !== field.defaultValue;
    });
    if (!changed.length) { say(form.getAttribute("data-nothing") || "", "info"); return; }
    var left = changed.length, allOk = true;
    // One action per year, each with its own id (the same entry sent again keeps its ids).
    var base = form.dataset.actionId || (form.dataset.actionId = newActionId());
    changed.forEach(function (field) {
      var year = field.getAttribute("data-year");
      send("declare", { need_id: needId, year: year, agents: field.value, action_id: base + "-" + year }, form, function (ok) {
        if (ok) field.defaultValue = field.value; else allOk = false;
        if (--left > 0 || !allOk) return;
        var box = document.getElementById("need-" + needId + "-declare");
        if (box) box.open = false;
      });
    });
  }

  // "Mes besoins": the needs this participant added (listed by the page, then each accepted
  // addition) or on which their collectivité declared agents.
  var added = {};
  function rememberAdded(id) { added[id] = true; markMine(); }
  function markMine() {
    var filter = document.querySelector(".need-filter");
    if (!filter) return;
    JSON.parse(filter.getAttribute("data-added") || "[]").forEach(function (id) { added[id] = true; });
    document.querySelectorAll(".need-phone[id]").forEach(function (card) {
      var id = card.id.replace("need-", "");
      card.classList.toggle("is-mine", !!added[id] || !!card.querySelector('.ours[data-declared="yes"]'));
    });
    var only = body.classList.contains("only-mine");
    document.querySelectorAll(".filter-button").forEach(function (button) {
      button.setAttribute("aria-pressed", String((button.getAttribute("data-filter") === "mine") === only));
    });
  }
  document.addEventListener("click", function (e) {
    var button = e.target.closest(".filter-button");
    if (!button) return;
    body.classList.toggle("only-mine", button.getAttribute("data-filter") === "mine");
    markMine();
  });
  markMine();
})();
