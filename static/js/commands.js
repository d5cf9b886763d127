// A request's buttons (in the list, its banners, the sheet): <button data-command="claim"> names
// its command; the request is the one around it (data-rid), and the URL commands go to is
// #live's (data-commands). Sent through htmx as an hx-post with hx-vals {action, rid} would be,
// so the same listeners see it (outbox.js: its idempotency key, the outbox; main.js: the answer,
// whose toast goes to #toast) — without every push carrying the URL and both fields per button.
export function sendCommand(control) {
  const request = control.closest("[data-rid]");
  const commands = control.closest("[data-commands]");
  if (!request || !commands) return;
  htmx.ajax("POST", commands.dataset.commands, {
    source: control,
    values: { action: control.dataset.command, rid: request.dataset.rid },
  });
}
