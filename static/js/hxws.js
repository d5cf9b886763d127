// hx-ws as roomlive uses it: its public events, and the few of its internals roomlive needs
// because hx-ws offers no public way to do it. No other module touches hx-ws's internals.
//
// Written against htmx 4.0.1's hx-ws extension (static/vendor/hx-ws-4.0.1.min.js). It has no
// public "reconnect now" and does not expose its socket. When that file changes, check that
// each internal below still exists and means the same:
//   element._htmx.ws.connection  hx-ws's record of the element's socket; deleted when hx-ws
//                                gives up for good (a close code it does not retry, e.g. 4xxx)
//     .socket                    the current WebSocket (null between attempts)
//     .timer                     the setTimeout id of its pending reconnect attempt
//     .visibilityHandler         its `visibilitychange` listener (set while pauseOnBackground is
//                                on, the default): on a visible page whose socket is missing
//                                or closed it opens a new one, its back-off reset
// Public events used, each fired on the connect element: htmx:ws:after:connection,
// htmx:ws:close (detail.code), htmx:ws:before:message:incoming, htmx:ws:after:message:incoming.

const STUCK_CONNECTING_MS = 2000;
// A server that answers fetches but refuses the socket is not hammered (Chromium's own
// throttle on failing WebSocket attempts slows such retries further).
const FORCE_GAP_MS = 2000;

export const LinkState = Object.freeze({
  OPEN: "open",
  DOWN: "down", // hx-ws is between attempts, or one is under way
  ABSENT: "absent", // no connection: not made yet, or hx-ws gave up (signed out, link revoked)
});

// The live socket of `element` (the one with hx-ws:connect).
export function liveLink(element) {
  let connectingSocket = null;
  let connectingSince = 0;
  let forcedAt = 0;

  function record() {
    const ws = element._htmx && element._htmx.ws;
    return (ws && ws.connection) || null;
  }

  function state() {
    const connection = record();
    if (!connection) return LinkState.ABSENT;
    const socket = connection.socket;
    return socket && socket.readyState === WebSocket.OPEN ? LinkState.OPEN : LinkState.DOWN;
  }

  // Close an open socket; hx-ws reconnects (1005, no status, is one of its reconnect codes).
  function close() {
    const connection = record();
    if (connection && connection.socket && connection.socket.readyState === WebSocket.OPEN) {
      connection.socket.close();
    }
  }

  // Open a socket now rather than at hx-ws's next retry. Its pending retry is cancelled (else it
  // would replace the new socket later), and a socket stuck closing on a dead network (no close
  // event, so no retry, for a minute or more) or still connecting after a while is set aside.
  function reconnectNow() {
    const connection = record();
    const socket = connection && connection.socket;
    if (!connection || document.hidden || (socket && socket.readyState === WebSocket.OPEN)) return;
    if (socket && socket.readyState === WebSocket.CONNECTING) {
      if (socket !== connectingSocket) {
        connectingSocket = socket;
        connectingSince = Date.now();
      }
      if (Date.now() - connectingSince < STUCK_CONNECTING_MS) return; // under way
    }
    if (Date.now() - forcedAt < FORCE_GAP_MS) return;
    forcedAt = Date.now();
    clearTimeout(connection.timer);
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      connection.socket = null;
      try {
        socket.close();
      } catch (e) {
        // already closing
      }
    }
    if (connection.visibilityHandler) connection.visibilityHandler();
  }

  // handlers: opened(), closed(code), beforeMessage(), afterMessage() — every message, a
  // data-only heartbeat too, after hx-ws has swapped in whatever it carried.
  function on(handlers) {
    element.addEventListener("htmx:ws:after:connection", () => handlers.opened());
    element.addEventListener("htmx:ws:close", (evt) => handlers.closed(evt.detail.code));
    element.addEventListener("htmx:ws:before:message:incoming", () => handlers.beforeMessage());
    element.addEventListener("htmx:ws:after:message:incoming", () => handlers.afterMessage());
  }

  return { state, close, reconnectNow, on };
}
