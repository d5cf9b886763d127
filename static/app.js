// roomlive's page behaviour: idempotency keys, reconnect banner, local clock ticks, tile sheets.
// No inline scripts anywhere (the Content-Security-Policy forbids them).
(function () {
  "use strict";

  var RECONNECT_BANNER_DELAY_MS = 3000;
  var TICK_MS = 1000;
  var TOAST_MS = 5000;

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
  function showToast(text) {
    var toast = document.getElementById("toast");
    if (!toast) return;
    toast.textContent = text;
    toast.className = "toast show error";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.className = "toast"; }, TOAST_MS);
  }
  document.addEventListener("htmx:error", function () {
    showToast("Not sent: no connection to the roomlive server.");
  });
  document.addEventListener("htmx:after:swap", function () {
    var toast = document.getElementById("toast");
    if (toast && toast.classList.contains("show")) {
      clearTimeout(toastTimer);
      toastTimer = setTimeout(function () { toast.className = "toast"; }, TOAST_MS);
    }
  });

  // --- connection state: a banner only after a few seconds without contact ------------------
  var bannerTimer = null;
  document.addEventListener("htmx:ws:close", function () {
    document.body.classList.add("offline");
    if (bannerTimer === null) {
      bannerTimer = setTimeout(function () {
        var banner = document.getElementById("reconnecting");
        if (banner) banner.hidden = false;
      }, RECONNECT_BANNER_DELAY_MS);
    }
  });
  document.addEventListener("htmx:ws:after:connection", function () {
    clearTimeout(bannerTimer);
    bannerTimer = null;
    document.body.classList.remove("offline");
    var banner = document.getElementById("reconnecting");
    if (banner) banner.hidden = true;
  });

  // --- server time: every pushed top bar carries the server's clock at render time ----------
  var offsetSeconds = 0;
  var seenTopbar = null;
  function serverNow() { return Date.now() / 1000 + offsetSeconds; }
  function noteTopbar() {
    var topbar = document.getElementById("topbar");
    if (topbar && topbar !== seenTopbar) {
      seenTopbar = topbar;
      offsetSeconds = parseFloat(topbar.dataset.renderedAt) - Date.now() / 1000;
    }
  }
  document.addEventListener("htmx:ws:after:message:incoming", noteTopbar);

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
      if (clock) clock.textContent = hmmss(elapsed);
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
    document.querySelectorAll(".tile[data-overdue-after]").forEach(function (tile) {
      var checked = parseFloat(tile.dataset.checkedAt);
      var overdue = !isNaN(checked) && now - checked > parseFloat(tile.dataset.overdueAfter);
      tile.classList.toggle("overdue", overdue);
    });
  }

  // --- the participant sheet: which tile is open survives the tile being replaced -----------
  var openPid = null;
  function markOpenSheet() {
    document.querySelectorAll(".tile.open").forEach(function (t) { t.classList.remove("open"); });
    if (openPid) {
      var tile = document.getElementById("mat-" + openPid);
      if (tile) tile.classList.add("open");
    }
    document.body.classList.toggle("sheet-open", openPid !== null);
  }
  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest("[data-open-sheet]");
    if (opener) {
      openPid = opener.dataset.openSheet === openPid ? null : opener.dataset.openSheet;
      markOpenSheet();
      return;
    }
    if (evt.target.closest("[data-close-sheet]")) {
      openPid = null;
      markOpenSheet();
    }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && openPid) { openPid = null; markOpenSheet(); }
  });
  document.addEventListener("htmx:ws:after:message:incoming", markOpenSheet);

  // --- participant button: a gentle vibration once the server has the request --------------
  document.addEventListener("htmx:after:request", function (evt) {
    var ctx = evt.detail.ctx;
    if (evt.target.id === "ask" && ctx.response && ctx.response.status === 200 && navigator.vibrate) {
      navigator.vibrate(60);
    }
  });

  // --- keep the screen awake where the browser allows it ------------------------------------
  function keepAwake() {
    if (navigator.wakeLock && document.visibilityState === "visible") {
      navigator.wakeLock.request("screen").catch(function () {});
    }
  }
  document.addEventListener("visibilitychange", keepAwake);

  document.addEventListener("DOMContentLoaded", function () {
    noteTopbar();
    tick();
    setInterval(tick, TICK_MS);
    keepAwake();
  });
})();
