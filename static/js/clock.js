// The room's time on this tablet: the journey clock, the phase countdown, "minutes since"
// counters and overdue tiles, ticked locally from what the server rendered.
//
// Fragments carry the server time they were rendered at; this device's offset to the server's
// clock is estimated from several round trips to /time, the shortest round trip winning (NTP's
// idea), so a tablet whose own clock is minutes off still shows the room's time. Until the
// first estimate, the page's render time stands in.
const TICK_MS = 1000;
const SYNC_SAMPLES = 5;
const SYNC_EVERY_MS = 5 * 60 * 1000;
const TOPBAR_ID = "topbar";

function pad(n) {
  return String(n).padStart(2, "0");
}

function mmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

function hmmss(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

// topbar: the dashboard's #topbar as first rendered (pushes replace it; it is looked up anew).
export function startClock(topbar) {
  let offsetSeconds = parseFloat(topbar.dataset.renderedAt) - Date.now() / 1000;

  function serverNow() {
    return Date.now() / 1000 + offsetSeconds;
  }

  // Resolves once the new estimate is in use.
  function sync() {
    let best = null;
    let left = SYNC_SAMPLES;
    function sample() {
      const sent = Date.now();
      return fetch("/time", { cache: "no-store" })
        .then((response) => response.json())
        .then((body) => {
          const back = Date.now();
          const roundTrip = back - sent;
          if (best === null || roundTrip < best.roundTrip) {
            best = { roundTrip, offset: body.now - (sent + back) / 2000 };
          }
        });
    }
    function next() {
      if (left-- <= 0) {
        if (best !== null) {
          offsetSeconds = best.offset;
          tick();
        }
        return null;
      }
      return sample().then(next, next);
    }
    return next();
  }

  function tickTopbar(now) {
    const bar = document.getElementById(TOPBAR_ID);
    if (!bar) return;
    let elapsed = parseFloat(bar.dataset.elapsed);
    if (bar.dataset.running === "true") elapsed += now - parseFloat(bar.dataset.renderedAt);
    const clock = bar.querySelector("[data-clock]");
    if (clock) {
      clock.textContent = hmmss(elapsed);
      clock.dataset.elapsedMs = String(Math.round(elapsed * 1000));
    }
    const nextIn = bar.querySelector("[data-next-in]");
    if (nextIn) {
      const left = parseFloat(bar.dataset.phaseEnds) - elapsed;
      nextIn.textContent = left >= 0 ? `in ${mmss(left)}` : `due ${mmss(-left)} ago`;
      bar.classList.toggle("phase-due", left < 0);
    }
  }

  function tick() {
    const now = serverNow();
    tickTopbar(now);
    // Counters, from a server instant: "12 min" since data-since, "3:07" since data-mmss.
    document.querySelectorAll("[data-since]").forEach((counter) => {
      const since = parseFloat(counter.dataset.since);
      if (!isNaN(since)) counter.textContent = `${Math.floor((now - since) / 60)} min`;
    });
    document.querySelectorAll("[data-mmss]").forEach((counter) => {
      const since = parseFloat(counter.dataset.mmss);
      if (!isNaN(since)) counter.textContent = mmss(now - since);
    });
    // When a tile is overdue is the server's rule (roomlive/timing.py); it renders the instant
    // (none before the clock starts).
    document.querySelectorAll(".tile").forEach((tile) => {
      const overdueAt = parseFloat(tile.dataset.overdueAt);
      tile.classList.toggle("overdue", !isNaN(overdueAt) && now > overdueAt);
    });
  }

  sync();
  setInterval(sync, SYNC_EVERY_MS);
  tick();
  setInterval(tick, TICK_MS);
  return { serverNow, tick, sync };
}
