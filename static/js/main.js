// roomlive's page behaviour: one module per behaviour, each started on the element it serves
// when the page has it. This module wires them together. It is the one place that hands socket
// messages, clicks and answered requests to the behaviours that care, in the order written here.
// No inline scripts anywhere (the Content-Security-Policy forbids them). Loaded as a module,
// so it runs once the page is parsed, after the vendored htmx and hx-ws (classic scripts).
import { startAlerts } from "./alerts.js";
import { keepScreenAwake } from "./awake.js";
import { startClock } from "./clock.js";
import { sendCommand } from "./commands.js";
import { watchConnection } from "./connection.js";
import { startFinder } from "./finder.js";
import { startForms } from "./forms.js";
import { startHoldButton } from "./hold.js";
import { liveLink } from "./hxws.js";
import { startKeeping } from "./keep.js";
import { startLooks } from "./looks.js";
import { startOutbox } from "./outbox.js";
import { startSheet } from "./sheet.js";
import { startToasts } from "./toast.js";

function byId(id) {
  return document.getElementById(id);
}

function elementOf(evt) {
  return evt.target instanceof Element ? evt.target : null; // htmx's events may target document
}

const live = byId("live"); // the element holding hx-ws:connect, on live pages only
const link = live ? liveLink(live) : null;

startLooks();
keepScreenAwake();
const toasts = startToasts();
const forms = startForms(toasts);
const outbox = startOutbox(toasts, () => connection.lostContact());
const connection = watchConnection(link, () => outbox.flush());
const keep = live ? startKeeping(live) : null;
const finder = live ? startFinder() : null;
const clock = byId("topbar") ? startClock(byId("topbar")) : null;
const sheet = byId("sheet") && live ? startSheet(byId("sheet"), live) : null;
const alerts = live && byId("announce")
  ? startAlerts(byId("announce"), live.dataset.me || null, byId("tone-opt-in"))
  : null;
if (byId("ask")) startHoldButton(byId("ask"));

link?.on({
  opened() {
    connection.contact();
    clock?.sync(); // a reconnect may follow a server restart or a clock step
  },
  closed(code) {
    connection.closed(code);
  },
  beforeMessage() {
    keep.remember();
  },
  afterMessage() {
    connection.contact();
    sheet?.follow();
    alerts?.note();
    finder.check();
    keep.restore();
  },
});

document.addEventListener("htmx:after:request", (evt) => {
  const response = evt.detail.ctx && evt.detail.ctx.response;
  if (response) connection.contact();
  const ok = Boolean(response) && response.status < 300;
  sheet?.answered(elementOf(evt), ok);
  forms.answered(elementOf(evt), ok);
});

// What a click on each kind of control does. The control is the nearest one around what was
// clicked, so exactly one action runs, whatever order anything was set up in.
const CLICK_ACTIONS = [
  [".toast-dismiss", () => toasts.dismiss()],
  ["[data-open-sheet]", (control) => sheet?.toggle(control.dataset.openSheet)],
  [".tile-face", (control) => sheet?.toggle(control.closest(".tile").dataset.pid)],
  ["[data-command]", (control) => sendCommand(control)],
  ["[data-close-sheet]", () => sheet?.close()],
  ["[data-round-start]", () => sheet?.toggleRound()],
  ["[data-round-next]", () => sheet?.nextInRound()],
];
const ANY_CONTROL = CLICK_ACTIONS.map(([selector]) => selector).join(",");

document.addEventListener("click", (evt) => {
  const control = elementOf(evt)?.closest(ANY_CONTROL);
  if (!control) return;
  const [, act] = CLICK_ACTIONS.find(([selector]) => control.matches(selector));
  act(control);
});

// For the browser tests: read and move the clock as the page does.
if (clock) {
  window.roomlive = { serverNow: clock.serverNow, tick: clock.tick, syncClock: clock.sync };
}
