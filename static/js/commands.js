// A request's buttons (in the list, its banners, the sheet): <button data-command="claim"> names
// its command; the request is the one around it, and the URL commands go to is #live's
// (data-commands). Sent through htmx as an hx-post with hx-vals {action, rid} would be, so the
// same listeners see it (outbox.js: its idempotency key, the outbox; main.js: the answer, whose
// toast goes to #toast) — without every push carrying the URL and both fields per button.
const PUSHED_REQUEST = /^(?:alert|request)-(.+)$/;

// The request an element is about: a banner's or a list item's id names it (alert-<rid>,
// request-<rid>: those are pushed on every change, so they carry it once), elsewhere data-rid.
export function requestAround(element) {
  const pushed = element.closest(".alert-banner, #requests-list > .request");
  if (pushed) return PUSHED_REQUEST.exec(pushed.id)[1];
  const named = element.closest("[data-rid]");
  return named ? named.dataset.rid : null;
}

export function sendCommand(control) {
  const rid = requestAround(control);
  const commands = control.closest("[data-commands]");
  if (!rid || !commands) return;
  htmx.ajax("POST", commands.dataset.commands, {
    source: control,
    values: { action: control.dataset.command, rid },
  });
}
