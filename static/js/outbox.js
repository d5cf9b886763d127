// Commands: one idempotency key per user action, so a retried request is recorded once; and the
// outbox, for commands that could not reach the server.
//
// A command that could not reach the server waits (with its idempotency key, so a resend is
// recorded once) and is sent as soon as the server answers again, whether the socket closed
// or stayed open; the server refuses it if it has gone stale meanwhile (say, a claim on a
// request a colleague resolved), and the refusal says why. Sent one at a time, in order.
const KEY_BYTES = 16;
const OUTBOX_MAX_AGE_MS = 2 * 60 * 1000;
const FIRST_REFUSAL_STATUS = 400;
const FORM_TYPE = "application/x-www-form-urlencoded";

function newKey() {
  const bytes = new Uint8Array(KEY_BYTES);
  crypto.getRandomValues(bytes); // works outside secure contexts, unlike randomUUID
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// The words of an HTML answer (a refusal is a toast fragment).
function textOf(html) {
  const holder = document.createElement("template");
  holder.innerHTML = html;
  return (holder.content.textContent || "").trim();
}

// toasts: toast.js; lostContact(): connection.js, told when a command found no server.
export function startOutbox(toasts, lostContact) {
  const waiting = [];
  let sending = false;

  function keep(request) {
    waiting.push({
      action: request.action,
      body: String(request.body || ""),
      headers: Object.assign({ "Content-Type": FORM_TYPE }, request.headers),
      at: Date.now(),
    });
  }

  // Send the oldest waiting command, then the next, until none waits or the server is gone.
  function flush() {
    if (sending || waiting.length === 0) return;
    const item = waiting[0];
    if (Date.now() - item.at > OUTBOX_MAX_AGE_MS) {
      waiting.shift();
      toasts.show("Dropped a command made more than two minutes ago, while offline.");
      flush();
      return;
    }
    sending = true;
    fetch(item.action, {
      method: "POST", body: item.body, headers: item.headers, credentials: "same-origin",
    })
      .then((response) => response.text().then((text) => {
        waiting.shift(); // answered: done, even if refused (a retry would be refused again)
        sending = false;
        if (response.status >= FIRST_REFUSAL_STATUS) toasts.show(textOf(text) || "Not done.");
        else toasts.info("Sent what you did while offline.");
        flush();
      }))
      .catch(() => {
        sending = false; // still no contact: it stays first in line for the next answer
        lostContact();
      });
  }

  document.addEventListener("htmx:config:request", (evt) => {
    evt.detail.ctx.request.headers["Idempotency-Key"] = newKey();
  });

  document.addEventListener("htmx:error", (evt) => {
    const ctx = evt.detail.ctx;
    if (ctx && ctx.response) return; // the server answered: not a connection problem
    const request = ctx && ctx.request;
    if (request && request.method === "POST" && request.headers["Idempotency-Key"]) {
      keep(request);
      toasts.show("Not sent yet: no connection. It will be sent when the connection returns.");
    } else {
      toasts.show("Not sent: no connection to the roomlive server.");
    }
    if (ctx) lostContact();
  });

  return { flush };
}
