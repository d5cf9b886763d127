// Is the server there? The reconnecting banner, probes while in doubt, the silence watchdog.
//
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
import { LinkState } from "./hxws.js";

const BANNER_DELAY_MS = 3000;
const PROBE_MS = 1000;
const PROBE_JITTER = 0.2; // ±20 %: tablets that lost the server together do not come back in step
const PROBE_TIMEOUT_MS = 2000;
// The server sends a heartbeat every 5 s; a socket silent for longer has died without closing
// (Wi-Fi gone, laptop lid shut).
const SILENCE_MS = 12000;
const SILENCE_CHECK_MS = 1000;
const APP_CLOSE_CODES = 4000; // 4xxx: the server will not take this socket back (hx-ws stops)
const SIGNED_OUT_TEXT = "Signed out or link no longer valid: reload the page.";

// link: the page's live socket (hxws.js), or null on a page without one.
// whenAnswered: called on every sign of the server (the outbox sends what waits).
export function watchConnection(link, whenAnswered) {
  let bannerTimer = null;
  let inDoubt = false;
  let probeTimer = null;
  let probing = false;
  let lastContact = Date.now();

  function banner() {
    return document.getElementById("reconnecting");
  }

  // The banner, after `delay` ms unless contact returns first.
  function bannerSoon(delay) {
    document.body.classList.add("offline");
    if (bannerTimer !== null) return;
    bannerTimer = setTimeout(() => {
      const shown = banner();
      if (shown) shown.hidden = false;
    }, delay);
  }

  function probeLater() {
    const wait = PROBE_MS * (1 + PROBE_JITTER * (2 * Math.random() - 1));
    probeTimer = setTimeout(probe, wait);
  }

  function lostContact(bannerDelay = BANNER_DELAY_MS) {
    bannerSoon(bannerDelay);
    inDoubt = true;
    if (probeTimer === null && !probing) probeLater();
  }

  // The server answered something: send what waits; all clear if the socket is open (or the
  // page has none); else reopen it now, and keep asking until it is back.
  function contact() {
    lastContact = Date.now();
    whenAnswered();
    if (link && link.state() === LinkState.DOWN) {
      link.reconnectNow();
      return;
    }
    inDoubt = false;
    clearTimeout(probeTimer);
    probeTimer = null;
    if (link && link.state() === LinkState.ABSENT) return; // hx-ws stopped for good: banner stays
    clearTimeout(bannerTimer);
    bannerTimer = null;
    document.body.classList.remove("offline");
    const shown = banner();
    if (shown) shown.hidden = true;
  }

  function probe() {
    probeTimer = null;
    if (!inDoubt) return;
    if (document.hidden || navigator.onLine === false) {
      probeLater(); // nothing to learn now; `online` probes at once, visible again reconnects
      return;
    }
    probing = true;
    const abort = new AbortController();
    const timeout = setTimeout(() => abort.abort(), PROBE_TIMEOUT_MS);
    fetch("/healthz", { cache: "no-store", signal: abort.signal })
      .then(
        () => contact(), // any answer, a 503 (a full disk) too: the server is there
        () => {} // no answer yet
      )
      .then(() => {
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

  function closed(code) {
    if (code >= APP_CLOSE_CODES) {
      document.body.classList.add("offline");
      const stopped = banner();
      if (stopped) {
        stopped.textContent = SIGNED_OUT_TEXT;
        stopped.hidden = false;
      }
      return;
    }
    lostContact();
  }

  // A page that hears nothing for too long closes the socket itself, so hx-ws reconnects and the
  // fresh connection brings the full state.
  function checkSilence() {
    if (link.state() === LinkState.OPEN && Date.now() - lastContact > SILENCE_MS) {
      lastContact = Date.now();
      link.close();
      // On a dead network the close handshake cannot finish, so no close event comes (for a
      // minute or more): the silence itself is reason enough for the banner, now.
      lostContact(0);
    }
  }

  // The device knows it lost the network: no need to wait for the socket to notice.
  window.addEventListener("offline", () => lostContact());
  // ... and when it says the network is back, ask the server now rather than at the next probe.
  window.addEventListener("online", probeNow);
  if (link) setInterval(checkSilence, SILENCE_CHECK_MS);

  return { contact, lostContact, closed };
}
