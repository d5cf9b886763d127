// The participant's button: press and hold about a second; a short touch sends nothing.
// Confirmation is a gentle vibration once the server has the request: never a sound, never a
// flash.
const DEFAULT_HOLD_MS = 1000;
const RECEIVED_BUZZ_MS = 60;
const HOLD_KEYS = [" ", "Enter"];
const RELEASES = ["pointerup", "pointercancel", "pointerleave", "keyup", "blur"];
const OK = 200;

// ask: the button (#ask); it sends when htmx sees its "hold" event.
export function startHoldButton(ask) {
  const holdMs = parseInt(ask.dataset.holdMs, 10) || DEFAULT_HOLD_MS;
  let timer = null;

  function start(evt) {
    if (timer !== null || (evt.type === "keydown" && evt.repeat)) return;
    if (evt.type === "keydown" && !HOLD_KEYS.includes(evt.key)) return;
    evt.preventDefault();
    ask.style.setProperty("--hold-ms", `${holdMs}ms`);
    ask.classList.add("holding");
    timer = setTimeout(() => {
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
  RELEASES.forEach((name) => ask.addEventListener(name, stop));
  ask.addEventListener("contextmenu", (evt) => evt.preventDefault());
  ask.addEventListener("htmx:after:request", (evt) => {
    const response = evt.detail.ctx.response;
    if (evt.target === ask && response && response.status === OK && navigator.vibrate) {
      navigator.vibrate(RECEIVED_BUZZ_MS);
    }
  });
}
