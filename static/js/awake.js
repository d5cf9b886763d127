// Keep the screen awake where the browser allows it (a secure context). The lock is released
// whenever the page is hidden, so it is asked for again each time the page is shown.
function askForWakeLock() {
  if (navigator.wakeLock && document.visibilityState === "visible") {
    navigator.wakeLock.request("screen").catch(() => {});
  }
}

export function keepScreenAwake() {
  askForWakeLock();
  document.addEventListener("visibilitychange", askForWakeLock);
}
