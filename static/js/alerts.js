// Tablets: every new request alerts, and so does each rung of the escalation ladder — a
// vibration, a pulse of the screen, words for a screen reader, and a soft tone only for a
// facilitator who opted in (an earpiece; the room stays silent).
import { requestAround } from "./commands.js";

const TONE_KEY = "roomlive.tone";
const TONE_HZ = 523;
const TONE_QUIET = 0.0001;
const TONE_LOUDEST = 0.05;
const TONE_RISE_S = 0.05;
const TONE_FALL_S = 0.6;
const TONE_STOP_S = 0.65;
const BUZZ = [200, 100, 200];
const STRONG_BUZZ = [300, 120, 300, 120, 300];
const STRONG_FROM = 3; // an alert's strength is its ladder level + 1
const ANNOUNCE_GAP_MS = 100;

function toneWanted() {
  try {
    return localStorage.getItem(TONE_KEY) === "on";
  } catch (e) {
    return false;
  }
}

// An item's rung of the ladder: its level-N class.
function levelOf(item) {
  const level = /\blevel-(\d+)\b/.exec(item.className);
  return level ? parseInt(level[1], 10) : 0;
}

// Told, not only drawn: "Mat 1, Ana: needs support, asked 2×", "Mat 1, Ana: Sam is on it".
// Who, from the item's first line: its mat number, then the name.
function requestWords(item) {
  const who = item.querySelector(".request-who");
  const mat = who.querySelector(".mat-no").textContent;
  const name = who.textContent.slice(mat.length).trim();
  const parts = [];
  item.querySelectorAll(".request-what").forEach((what) => {
    what.childNodes.forEach((node) => {
      const text = node.textContent.replace(/\s+/g, " ").trim();
      if (text) parts.push(text);
    });
  });
  return `Mat ${mat}, ${name}: ${parts.join(", ")}`;
}

// announcer: #announce, outside every pushed region; me: this facilitator's name;
// toneBox: the "soft tone" checkbox, if the page has one.
export function startAlerts(announcer, me, toneBox) {
  let seen = {}; // request id -> what it was when last seen: state, level, stale
  let audio = null;
  let announceTimer = null;

  function softTone() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    audio = audio || new Context();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = TONE_HZ;
    gain.gain.setValueAtTime(TONE_QUIET, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(TONE_LOUDEST, audio.currentTime + TONE_RISE_S);
    gain.gain.exponentialRampToValueAtTime(TONE_QUIET, audio.currentTime + TONE_FALL_S);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + TONE_STOP_S);
  }

  function alertTablet(strong) {
    if (navigator.vibrate) navigator.vibrate(strong ? STRONG_BUZZ : BUZZ);
    if (toneWanted()) softTone();
    document.body.classList.remove("alerting");
    void document.body.offsetWidth; // restart the CSS animation
    document.body.classList.add("alerting");
  }

  // Emptied first: the same words again (a re-alert) are a change, so they are read again.
  function announce(text) {
    announcer.textContent = "";
    clearTimeout(announceTimer);
    announceTimer = setTimeout(() => {
      announcer.textContent = text;
    }, ANNOUNCE_GAP_MS);
  }

  // After each push: what changed in the request list since the last one.
  function note() {
    const now = {};
    let strength = 0;
    const words = [];
    document.querySelectorAll("#requests-list > .request").forEach((item) => {
      const rid = requestAround(item);
      const level = levelOf(item);
      const open = item.classList.contains("request-open");
      const stale = item.classList.contains("stale");
      const mine = me !== null && item.dataset.claimedBy === me; // none: unclaimed
      item.classList.toggle("mine", mine);
      const key = `${open ? "open" : "claimed"}:${level}${stale ? ":stale" : ""}`;
      if (seen[rid] !== key && (open || (stale && mine))) strength = Math.max(strength, level + 1);
      if (seen[rid] !== key) words.push(requestWords(item));
      now[rid] = key;
    });
    document.querySelectorAll(".tile-request").forEach((band) => {
      band.classList.toggle("mine", me !== null && band.dataset.claimedBy === me); // none: not mine
    });
    seen = now;
    if (strength > 0) alertTablet(strength >= STRONG_FROM);
    if (words.length) announce(words.join(". "));
  }

  if (toneBox) {
    toneBox.checked = toneWanted();
    toneBox.addEventListener("change", () => {
      try {
        localStorage.setItem(TONE_KEY, toneBox.checked ? "on" : "off");
      } catch (e) {
        // private mode: not kept
      }
      if (toneBox.checked) softTone(); // let the facilitator hear the level once
    });
  }

  return { note };
}
