// What a form does once the server has taken it: empty itself, reload the page, say it was
// saved. And a new session's form learns this device's time zone.
import { forgetTyped } from "./keep.js";

function fillLocalTimeZone() {
  const zone = document.querySelector("[data-local-timezone]");
  if (zone && !zone.value && window.Intl) {
    zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  }
}

export function startForms(toasts) {
  fillLocalTimeZone();

  // After each request: source is the element that sent it, ok whether it was accepted.
  function answered(source, ok) {
    let form = source && source.closest("form");
    // The sheet may have been fetched again while the request was out (a push redrew its tile):
    // the form that was sent is gone, its preserved fields now sit in the new one.
    if (form && !form.isConnected && form.id) form = document.getElementById(form.id) || form;
    if (!ok || !form) return;
    if (form.hasAttribute("data-reset-on-success")) form.reset();
    // A page that is not live (settings) shows a toggle's new state by drawing itself again.
    if (form.hasAttribute("data-reload-on-success")) location.reload();
    if (form.dataset.saved) toasts.info(form.dataset.saved);
    forgetTyped(form);
  }

  return { answered };
}
