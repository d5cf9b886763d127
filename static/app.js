// roomlive's page behaviour: idempotency keys, reconnect banner, local clock ticks, tile sheets.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  var RECONNECT_BANNER_DELAY_MS = 3000;
  var TICK_MS = 1000;
  var TOAST_MS = 5000;

  // Events from htmx may target the document itself, which has no closest().
  function closest(evt, selector) {
    return evt.target instanceof Element ? evt.target.closest(selector) : null;
  }

  // --- one idempotency key per user action, so a retried request is recorded once ----------
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes); // works outside secure contexts, unlike randomUUID
    return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join("");
  }
  document.addEventListener("htmx:config:request", function (evt) {
    evt.detail.ctx.request.headers["Idempotency-Key"] = newKey();
  });

  // --- messages ------------------------------------------------------------------------------
  var toastTimer = null;
  function showInfo(text) { showToast(text, "info"); }
  function showToast(text, kind) {
    var toast = document.getElementById("toast");
    if (!toast || isSticky(toast)) return; // a write the server could not record outranks it
    toast.textContent = text;
    toast.className = "toast show " + (kind || "error");
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.className = "toast"; }, TOAST_MS);
  }
  // A command that could not reach the server waits (with its idempotency key, so a resend is
  // recorded once) and is sent as soon as the server answers again, whether the socket closed
  // or stayed open; the server refuses it if it has gone stale meanwhile (say, a claim on a
  // request a colleague resolved), and the refusal says why. Sent one at a time, in order.
  var OUTBOX_MAX_AGE_MS = 2 * 60 * 1000;
  var outbox = [];
  var flushing = false;
  document.addEventListener("htmx:error", function (evt) {
    var ctx = evt.detail.ctx;
    if (ctx && ctx.response) return; // the server answered: not a connection problem
    var request = ctx && ctx.request;
    if (request && request.method === "POST" && request.headers["Idempotency-Key"]) {
      outbox.push({
        action: request.action,
        body: String(request.body || ""),
        headers: Object.assign(
          { "Content-Type": "application/x-www-form-urlencoded" }, request.headers),
        at: Date.now()
      });
      showToast("Not sent yet: no connection. It will be sent when the connection returns.");
    } else {
      showToast("Not sent: no connection to the roomlive server.");
    }
    if (ctx) lostContact(RECONNECT_BANNER_DELAY_MS);
  });
  function toastText(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html;
    return (holder.content.textContent || "").trim();
  }
  function flushOutbox() {
    if (flushing || outbox.length === 0) return;
    var item = outbox[0];
    if (Date.now() - item.at > OUTBOX_MAX_AGE_MS) {
      outbox.shift();
      showToast("Dropped a command made more than two minutes ago, while offline.");
      flushOutbox();
      return;
    }
    flushing = true;
    fetch(item.action, {
      method: "POST", body: item.body, headers: item.headers, credentials: "same-origin"
    }).then(function (response) {
      return response.text().then(function (text) {
        outbox.shift(); // answered: done, even if refused (a retry would be refused again)
        flushing = false;
        if (response.status >= 400) showToast(toastText(text) || "Not done.");
        else showInfo("Sent what you did while offline.");
        flushOutbox();
      });
    }).catch(function () {
      flushing = false; // still no contact: it stays first in line for the next answer
      lostContact(RECONNECT_BANNER_DELAY_MS);
    });
  }
  // An alert that nothing was recorded stays until it is dismissed: it must not fade unseen.
  function isSticky(toast) {
    return toast.classList.contains("show") && toast.classList.contains("sticky");
  }
  document.addEventListener("click", function (evt) {
    if (!closest(evt, ".toast-dismiss")) return;
    document.getElementById("toast").className = "toast";
  });
  document.addEventListener("htmx:after:swap", function () {
    var toast = document.getElementById("toast");
    if (toast && toast.classList.contains("show") && !isSticky(toast)) {
      clearTimeout(toastTimer);
      toastTimer = setTimeout(function () { toast.className = "toast"; }, TOAST_MS);
    }
  });

  // --- connection state ----------------------------------------------------------------------
  // Two links fail apart: the socket (what the server pushes) and fetch (commands). A Wi-Fi blip
  // can leave the socket open while fetches fail; a server restart closes the socket. While
  // contact is in doubt the page asks GET /healthz about once a second (one at a time; not while
  // hidden or while the device says it is offline). Any answer from the server (a probe, a
  // request, a message on the socket) sends the outbox and, if the socket is open, clears the
  // banner; a closed socket is reopened at once and the banner clears when it is back (the
  // server sends the full state first thing).
  //
  // Why probe with fetch rather than let hx-ws retry faster: Chromium delays each WebSocket
  // attempt more, the more attempts failed lately (per renderer process, over 2-4 minutes:
  // 1-5 s x 2^min(failures / (successes + 1), 16) / 65536). Capping hx-ws's back-off at 0.5 s
  // made the first attempt after a 20 s outage wait up to 3.6 s. Fetches are not throttled, so
  // hx-ws keeps its own back-off (a fallback, 0.5 s growing to 60 s: few failures) and the
  // first answer to a probe opens the socket now.
  var PROBE_MS = 1000;
  var PROBE_JITTER = 0.2; // ±20 %: tablets that lost the server together do not come back in step
  var PROBE_TIMEOUT_MS = 2000;
  var bannerTimer = null;
  var inDoubt = false;
  var probeTimer = null;
  var probing = false;
  var lastContact = Date.now();

  // The banner, after `delay` ms unless contact returns first.
  function bannerSoon(delay) {
    document.body.classList.add("offline");
    if (bannerTimer !== null) return;
    bannerTimer = setTimeout(function () {
      var banner = document.getElementById("reconnecting");
      if (banner) banner.hidden = false;
    }, delay);
  }
  function probeLater() {
    var wait = PROBE_MS * (1 + PROBE_JITTER * (2 * Math.random() - 1));
    probeTimer = setTimeout(probe, wait);
  }
  function lostContact(bannerDelay) {
    bannerSoon(bannerDelay);
    inDoubt = true;
    if (probeTimer === null && !probing) probeLater();
  }
  // The server answered something: send what waits; all clear if the socket is open (or the
  // page has none); else reopen it now, and keep asking until it is back.
  function contact() {
    lastContact = Date.now();
    flushOutbox();
    var live = document.getElementById("live");
    var connection = wsConnection();
    var socket = connection && connection.socket;
    if (live && connection && !(socket && socket.readyState === WebSocket.OPEN)) {
      reconnectNow();
      return;
    }
    inDoubt = false;
    clearTimeout(probeTimer);
    probeTimer = null;
    if (live && !connection) return; // hx-ws stopped for good (signed out): its banner stays
    clearTimeout(bannerTimer);
    bannerTimer = null;
    document.body.classList.remove("offline");
    var banner = document.getElementById("reconnecting");
    if (banner) banner.hidden = true;
  }
  function probe() {
    probeTimer = null;
    if (!inDoubt) return;
    if (document.hidden || navigator.onLine === false) {
      probeLater(); // nothing to learn now; `online` probes at once, visible again reconnects
      return;
    }
    probing = true;
    var abort = new AbortController();
    var timeout = setTimeout(function () { abort.abort(); }, PROBE_TIMEOUT_MS);
    fetch("/healthz", { cache: "no-store", signal: abort.signal }).then(function () {
      contact(); // any answer, a 503 (a full disk) too: the server is there
    }, function () { /* no answer yet */ }).then(function () {
      clearTimeout(timeout);
      probing = false;
      if (inDoubt && probeTimer === null) probeLater();
    });
  }
  function probeNow() {
    inDoubt = true;
    clearTimeout(probeTimer);
    probeTimer = null;
    if (!probing) probe();
  }

  var APP_CLOSE_CODES = 4000; // 4xxx: the server will not take this socket back (htmx stops)
  document.addEventListener("htmx:ws:close", function (evt) {
    if (evt.detail.code >= APP_CLOSE_CODES) {
      document.body.classList.add("offline");
      var stopped = document.getElementById("reconnecting");
      if (stopped) {
        stopped.textContent = "Signed out or link no longer valid: reload the page.";
        stopped.hidden = false;
      }
      return;
    }
    lostContact(RECONNECT_BANNER_DELAY_MS);
  });
  // The device knows it lost the network: no need to wait for the socket to notice.
  window.addEventListener("offline", function () { lostContact(RECONNECT_BANNER_DELAY_MS); });
  // ... and when it says the network is back, ask the server now rather than at the next probe.
  window.addEventListener("online", probeNow);
  document.addEventListener("htmx:ws:after:connection", contact);
  document.addEventListener("htmx:ws:after:message:incoming", contact);
  document.addEventListener("htmx:after:request", function (evt) {
    if (evt.detail.ctx && evt.detail.ctx.response) contact();
  });

  // A socket can die without closing (Wi-Fi gone, laptop lid shut): the server sends a
  // heartbeat every 5 s, and a page that hears nothing for longer closes the socket itself, so
  // htmx reconnects and the fresh connection brings the full state.
  var SILENCE_MS = 12000;
  setInterval(function () {
    var socket = liveSocket();
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastContact > SILENCE_MS) {
      lastContact = Date.now();
      socket.close(); // 1005: htmx reconnects
      // On a dead network the close handshake cannot finish, so no close event comes (for a
      // minute or more): the silence itself is reason enough for the banner, now.
      lostContact(0);
    }
  }, 1000);

  // hx-ws 4.0.1 has no public "reconnect now" and does not expose its socket: both sit on the
  // connect element's private `_htmx.ws.connection` (socket, retry timer). These three
  // functions are the only places that reach in. reconnectNow cancels hx-ws's pending retry
  // (else it would replace the new socket later), sets aside a socket stuck closing on a dead
  // network (no close event, so no retry, for a minute or more) or one still connecting after
  // 2 s, and fires `visibilitychange`, on which hx-ws opens a socket when it has none (or a
  // closed one). At most once per 2 s, so a server that answers but refuses the socket is not
  // hammered (Chromium's throttle, above, slows such retries further).
  var STUCK_CONNECTING_MS = 2000;
  var FORCE_GAP_MS = 2000;
  var connectingSocket = null;
  var connectingSince = 0;
  var forcedAt = 0;
  function wsConnection() {
    var live = document.getElementById("live");
    return (live && live._htmx && live._htmx.ws && live._htmx.ws.connection) || null;
  }
  function liveSocket() {
    var connection = wsConnection();
    return connection ? connection.socket : null;
  }
  function reconnectNow() {
    var connection = wsConnection();
    var socket = connection && connection.socket;
    if (!connection || document.hidden || (socket && socket.readyState === WebSocket.OPEN)) return;
    if (socket && socket.readyState === WebSocket.CONNECTING) {
      if (socket !== connectingSocket) { connectingSocket = socket; connectingSince = Date.now(); }
      if (Date.now() - connectingSince < STUCK_CONNECTING_MS) return; // under way
    }
    if (Date.now() - forcedAt < FORCE_GAP_MS) return;
    forcedAt = Date.now();
    clearTimeout(connection.timer);
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      connection.socket = null;
      try { socket.close(); } catch (e) { /* already closing */ }
    }
    document.dispatchEvent(new Event("visibilitychange"));
  }

  // --- one time on every tablet: estimate this device's offset to the server clock ----------
  // Several round trips to /time; the one with the shortest round trip wins (NTP's idea), so a
  // tablet whose own clock is minutes off still shows the room's time. Until the first
  // estimate, the render time of the page stands in.
  var SYNC_SAMPLES = 5;
  var SYNC_EVERY_MS = 5 * 60 * 1000;
  var offsetSeconds = 0;
  var synced = false;
  function serverNow() { return Date.now() / 1000 + offsetSeconds; }
  function syncClock() {
    var best = null;
    var left = SYNC_SAMPLES;
    function sample() {
      var sent = Date.now();
      return fetch("/time", { cache: "no-store" }).then(function (r) { return r.json(); })
        .then(function (body) {
          var back = Date.now();
          var rtt = back - sent;
          if (best === null || rtt < best.rtt) {
            best = { rtt: rtt, offset: body.now - (sent + back) / 2000 };
          }
        });
    }
    function next() {
      if (left-- <= 0) {
        if (best !== null) { offsetSeconds = best.offset; synced = true; tick(); }
        return null;
      }
      return sample().then(next, next);
    }
    return next();
  }
  function noteTopbar() {
    var topbar = document.getElementById("topbar");
    if (topbar && !synced) offsetSeconds = parseFloat(topbar.dataset.renderedAt) - Date.now() / 1000;
  }
  document.addEventListener("htmx:ws:after:connection", function () { syncClock(); });

  function pad(n) { return String(n).padStart(2, "0"); }
  function mmss(s) { s = Math.max(0, Math.floor(s)); return Math.floor(s / 60) + ":" + pad(s % 60); }
  function hmmss(s) {
    s = Math.max(0, Math.floor(s));
    return Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
  }

  function tick() {
    var now = serverNow();
    var topbar = document.getElementById("topbar");
    if (topbar) {
      var elapsed = parseFloat(topbar.dataset.elapsed);
      if (topbar.dataset.running === "true") elapsed += now - parseFloat(topbar.dataset.renderedAt);
      var clock = topbar.querySelector("[data-clock]");
      if (clock) {
        clock.textContent = hmmss(elapsed);
        clock.dataset.elapsedMs = String(Math.round(elapsed * 1000));
      }
      var nextIn = topbar.querySelector("[data-next-in]");
      if (nextIn) {
        var left = parseFloat(topbar.dataset.phaseEnds) - elapsed;
        nextIn.textContent = left >= 0 ? "in " + mmss(left) : "due " + mmss(-left) + " ago";
        topbar.classList.toggle("phase-due", left < 0);
      }
    }
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var since = parseFloat(el.dataset.since);
      if (isNaN(since)) return;
      el.textContent = el.dataset.format === "mmss" ? mmss(now - since) : Math.floor((now - since) / 60) + " min";
    });
    // When a tile is overdue is the server's rule (roomlive/timing.py); it renders the instant.
    document.querySelectorAll(".tile[data-overdue-at]").forEach(function (tile) {
      var overdueAt = parseFloat(tile.dataset.overdueAt);
      tile.classList.toggle("overdue", !isNaN(overdueAt) && now > overdueAt);
    });
  }

  // --- the participant sheet: which tile is open survives the tile being replaced -----------
  // The sheet of the open mat is fetched when it opens, and again whenever a push redraws
  // that mat's tile, so it always shows the current state without riding along every push.
  var openPid = null;
  var sheetTile = null;
  function loadSheet() {
    var sheet = document.getElementById("sheet");
    var live = document.getElementById("live");
    if (!sheet || !live) return;
    sheet.hidden = openPid === null;
    sheetTile = openPid ? document.getElementById("mat-" + openPid) : null;
    if (openPid) {
      var url = live.getAttribute("hx-ws:connect").replace(/\/ws$/, "/mats/" + openPid + "/sheet");
      htmx.ajax("GET", url, { target: "#sheet", swap: "innerHTML" });
    } else {
      sheet.replaceChildren();
    }
  }
  function markOpenSheet() {
    var wanted = openPid ? document.getElementById("mat-" + openPid) : null;
    var sheet = document.getElementById("sheet");
    if (wanted !== sheetTile || (sheet && sheet.hidden !== (openPid === null))) loadSheet();
    document.querySelectorAll(".tile.open").forEach(function (t) { t.classList.remove("open"); });
    if (openPid) {
      var tile = document.getElementById("mat-" + openPid);
      if (tile) tile.classList.add("open");
    }
    document.body.classList.toggle("sheet-open", openPid !== null);
  }
  document.addEventListener("click", function (evt) {
    var opener = closest(evt, "[data-open-sheet]");
    if (opener) {
      openPid = opener.dataset.openSheet === openPid ? null : opener.dataset.openSheet;
      markOpenSheet();
      return;
    }
    if (closest(evt, "[data-close-sheet]")) {
      openPid = null;
      markOpenSheet();
    }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && openPid) { openPid = null; markOpenSheet(); }
  });
  document.addEventListener("htmx:ws:after:message:incoming", markOpenSheet);

  // --- participant button: press and hold about a second; a short touch sends nothing -------
  function setUpHoldButton(ask) {
    var holdMs = parseInt(ask.dataset.holdMs, 10) || 1000;
    var timer = null;
    function start(evt) {
      if (timer !== null || (evt.type === "keydown" && evt.repeat)) return;
      if (evt.type === "keydown" && evt.key !== " " && evt.key !== "Enter") return;
      evt.preventDefault();
      ask.style.setProperty("--hold-ms", holdMs + "ms");
      ask.classList.add("holding");
      timer = setTimeout(function () {
        timer = null;
        ask.classList.remove("holding");
        htmx.trigger(ask, "hold");
      }, holdMs);
    }
    function stop() {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      ask.classList.remove("holding");
    }
    ask.addEventListener("pointerdown", start);
    ask.addEventListener("keydown", start);
    ["pointerup", "pointercancel", "pointerleave", "keyup", "blur"].forEach(function (name) {
      ask.addEventListener(name, stop);
    });
    ask.addEventListener("contextmenu", function (evt) { evt.preventDefault(); });
  }
  // A gentle vibration once the server has the request: never a sound, never a flash.
  document.addEventListener("htmx:after:request", function (evt) {
    var ctx = evt.detail.ctx;
    if (evt.target.id === "ask" && ctx.response && ctx.response.status === 200 && navigator.vibrate) {
      navigator.vibrate(60);
    }
  });

  // --- tablets: every new request alerts, and so does each rung of the escalation ladder ----
  var seenLevels = {};
  var me = null;
  var TONE_KEY = "roomlive.tone";
  function toneWanted() {
    try { return localStorage.getItem(TONE_KEY) === "on"; } catch (e) { return false; }
  }
  var audio = null;
  function softTone() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    var osc = audio.createOscillator();
    var gain = audio.createGain();
    osc.frequency.value = 523;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.05, audio.currentTime + 0.05);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.6);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.65);
  }
  function alertTablet(strong) {
    if (navigator.vibrate) navigator.vibrate(strong ? [300, 120, 300, 120, 300] : [200, 100, 200]);
    if (toneWanted()) softTone();
    document.body.classList.remove("alerting");
    void document.body.offsetWidth; // restart the CSS animation
    document.body.classList.add("alerting");
  }
  function noteRequests() {
    var live = document.getElementById("live");
    if (live && live.dataset.me) me = live.dataset.me;
    var now = {};
    var alert = 0;
    var words = [];
    document.querySelectorAll("#requests .request[data-rid]").forEach(function (item) {
      var rid = item.dataset.rid;
      var level = parseInt(item.dataset.level, 10) || 0;
      var open = item.classList.contains("request-open");
      var stale = item.classList.contains("stale");
      var mine = me !== null && item.dataset.claimedBy === me;
      item.classList.toggle("mine", mine);
      var key = (open ? "open" : "claimed") + ":" + level + (stale ? ":stale" : "");
      if (seenLevels[rid] !== key && (open || (stale && mine))) alert = Math.max(alert, level + 1);
      if (seenLevels[rid] !== key) words.push(requestWords(item));
      now[rid] = key;
    });
    document.querySelectorAll(".tile[data-claimed-by]").forEach(function (tile) {
      tile.classList.toggle("mine", me !== null && tile.dataset.claimedBy === me);
    });
    seenLevels = now;
    if (alert > 0) alertTablet(alert > 2);
    if (words.length) announce(words.join(". "));
  }
  // Told, not only drawn: "Mat 1, Ana: needs support, asked 2×", "Mat 1, Ana: Sam is on it".
  function requestWords(item) {
    var parts = [];
    item.querySelectorAll(".request-what").forEach(function (what) {
      what.childNodes.forEach(function (node) {
        var text = node.textContent.replace(/\s+/g, " ").trim();
        if (text) parts.push(text);
      });
    });
    return item.dataset.who + ": " + parts.join(", ");
  }
  // Emptied first: the same words again (a re-alert) are a change, so they are read again.
  var announceTimer = null;
  function announce(text) {
    var region = document.getElementById("announce");
    if (!region) return;
    region.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(function () { region.textContent = text; }, 100);
  }
  document.addEventListener("htmx:ws:after:message:incoming", noteRequests);
  document.addEventListener("change", function (evt) {
    if (evt.target.id === "tone-opt-in") {
      try { localStorage.setItem(TONE_KEY, evt.target.checked ? "on" : "off"); } catch (e) { /* private mode */ }
      if (evt.target.checked) softTone(); // let the facilitator hear the level once
    }
  });

  // --- keep the screen awake where the browser allows it ------------------------------------
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () {});
    }
  }
  document.addEventListener("visibilitychange", keepAwake);

  // --- check-in round: walk the circle, one tap per mat ------------------------------------
  var inRound = false;
  function tilePids() {
    return Array.from(document.querySelectorAll("#mats .tile")).map(function (t) { return t.dataset.pid; });
  }
  function setRound(on) {
    inRound = on;
    document.body.classList.toggle("in-round", on);
    document.querySelectorAll("[data-round-start]").forEach(function (b) {
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  function nextInRound() {
    var pids = tilePids();
    var at = pids.indexOf(openPid);
    if (at < 0 || at + 1 >= pids.length) { setRound(false); openPid = null; } else { openPid = pids[at + 1]; }
    markOpenSheet();
  }
  document.addEventListener("click", function (evt) {
    if (closest(evt, "[data-round-start]")) {
      setRound(!inRound);
      openPid = inRound ? tilePids()[0] || null : null;
      markOpenSheet();
    } else if (closest(evt, "[data-round-next]")) {
      nextInRound();
    } else if (closest(evt, "[data-close-sheet]") && inRound) {
      setRound(false);
    }
  });
  document.addEventListener("htmx:after:request", function (evt) {
    var ctx = evt.detail.ctx;
    var ok = ctx.response && ctx.response.status < 300;
    if (inRound && ok && closest(evt, "[data-check]")) nextInRound();
    var form = closest(evt, "form");
    // The sheet may have been fetched again while the request was out (a push redrew its tile):
    // the form that was sent is gone, its preserved fields now sit in the new one.
    if (form && !form.isConnected && form.id) form = document.getElementById(form.id) || form;
    if (ok && form && form.hasAttribute("data-reset-on-success")) form.reset();
    // A page that is not live (settings) shows a toggle's new state by drawing itself again.
    if (ok && form && form.hasAttribute("data-reload-on-success")) location.reload();
    if (ok && form && form.dataset.saved) showInfo(form.dataset.saved);
    if (ok && form) form.querySelectorAll("[data-typed]").forEach(function (field) {
      delete field.dataset.typed; // saved: from now on the field shows what the server has
    });
  });

  // --- this tablet's own look: red night theme, blackout (alerts stay visible) -------------
  var LOOKS = { "theme-red": "roomlive.theme-red", "blackout": "roomlive.blackout" };
  function applyLooks() {
    Object.keys(LOOKS).forEach(function (name) {
      var on = false;
      try { on = localStorage.getItem(LOOKS[name]) === "on"; } catch (e) { /* private mode */ }
      document.documentElement.classList.toggle(name, on);
      var box = document.getElementById(name);
      if (box) box.checked = on;
    });
  }
  document.addEventListener("change", function (evt) {
    var key = LOOKS[evt.target.id];
    if (!key) return;
    try { localStorage.setItem(key, evt.target.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    applyLooks();
  });

  // --- "find this tablet": a gentle pulse of the whole screen for a few seconds ------------
  var FIND_MS = 4000;
  var lastFinder = null;
  document.addEventListener("htmx:ws:after:message:incoming", function () {
    var finder = document.getElementById("finder");
    if (!finder || !finder.dataset.nonce || finder.dataset.nonce === lastFinder) return;
    lastFinder = finder.dataset.nonce;
    document.body.classList.add("finding");
    setTimeout(function () { document.body.classList.remove("finding"); }, FIND_MS);
  });

  // --- a push never takes away what a facilitator is in the middle of -----------------------
  // A region is replaced whole when anything in it changes (a phone connecting redraws the side
  // column): an open panel would close, and a half-typed value would be lost, under the finger.
  var kept = null;
  document.addEventListener("htmx:ws:before:message:incoming", function () {
    kept = { open: [], typed: [], focused: document.activeElement && document.activeElement.id };
    document.querySelectorAll("details[id][open]").forEach(function (panel) {
      kept.open.push(panel.id);
    });
    document.querySelectorAll("input[id][data-typed], textarea[id][data-typed]").forEach(
      function (field) { kept.typed.push([field, field.value]); });
  });
  document.addEventListener("htmx:ws:after:message:incoming", function () {
    if (!kept) return;
    kept.open.forEach(function (id) {
      var panel = document.getElementById(id);
      if (panel) panel.open = true;
    });
    // Only into a field that replaced the one typed in: one kept in place (morphed, preserved)
    // already holds what it should, and a form answered meanwhile has emptied it on purpose.
    kept.typed.forEach(function (entry) {
      var field = document.getElementById(entry[0].id);
      if (field && field !== entry[0]) { field.value = entry[1]; field.dataset.typed = "1"; }
    });
    var focused = kept.focused && document.getElementById(kept.focused);
    if (focused && document.activeElement !== focused) focused.focus();
    kept = null;
  });
  document.addEventListener("input", function (evt) {
    if (evt.target instanceof HTMLElement && evt.target.id) evt.target.dataset.typed = "1";
  });

  window.roomlive = { serverNow: serverNow, tick: function () { tick(); }, syncClock: syncClock };

  document.addEventListener("DOMContentLoaded", function () {
    applyLooks();
    var zone = document.querySelector("[data-local-timezone]");
    if (zone && !zone.value && window.Intl) zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    noteTopbar();
    if (document.getElementById("topbar")) {
      syncClock();
      setInterval(syncClock, SYNC_EVERY_MS);
    }
    var tone = document.getElementById("tone-opt-in");
    if (tone) tone.checked = toneWanted();
    var ask = document.getElementById("ask");
    if (ask) setUpHoldButton(ask);
    tick();
    setInterval(tick, TICK_MS);
    keepAwake();
  });
})();
