// The participant sheet and the check-in round (walk the circle, one tap per mat).
//
// Which mat is open survives its tile being replaced. The sheet of the open mat is fetched when
// it opens, and again whenever a push redraws that mat's tile or its request band (a request's
// change redraws the band alone), so it always shows the current state without riding along
// every push.

// sheet: the dashboard's #sheet; live: its #live, whose socket URL the sheet's URL is made from.
export function startSheet(sheet, live) {
  let openPid = null;
  let drawnFor = []; // the tile and band the sheet was last fetched for
  let inRound = false;

  function tileOf(pid) {
    return pid ? document.getElementById(`mat-${pid}`) : null;
  }

  function partsOf(pid) {
    return [tileOf(pid), pid ? document.getElementById(`mat-${pid}-request`) : null];
  }

  function load() {
    sheet.hidden = openPid === null;
    drawnFor = partsOf(openPid);
    if (openPid) {
      const url = live.getAttribute("hx-ws:connect").replace(/\/ws$/, `/mats/${openPid}/sheet`);
      htmx.ajax("GET", url, { target: "#sheet", swap: "innerHTML" });
    } else {
      sheet.replaceChildren();
    }
  }

  // Bring the sheet and the open tile's mark in line with openPid.
  function show() {
    const redrawn = partsOf(openPid).some((part, i) => part !== drawnFor[i]);
    if (redrawn || sheet.hidden !== (openPid === null)) load();
    document.querySelectorAll(".tile.open").forEach((tile) => tile.classList.remove("open"));
    const open = tileOf(openPid);
    if (open) open.classList.add("open");
    document.body.classList.toggle("sheet-open", openPid !== null);
  }

  function pidsInOrder() {
    return Array.from(document.querySelectorAll("#mats .tile"), (tile) => tile.dataset.pid);
  }

  function setRound(on) {
    inRound = on;
    document.body.classList.toggle("in-round", on);
    document.querySelectorAll("[data-round-start]").forEach((button) => {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function nextInRound() {
    const pids = pidsInOrder();
    const at = pids.indexOf(openPid);
    if (at < 0 || at + 1 >= pids.length) {
      setRound(false);
      openPid = null;
    } else {
      openPid = pids[at + 1];
    }
    show();
  }

  // A tile (or a request's "Outcome, note…") opens its mat's sheet; the same again closes it.
  function toggle(pid) {
    openPid = pid === openPid ? null : pid;
    show();
  }

  // The sheet's close button: closes it, and ends a round.
  function close() {
    openPid = null;
    show();
    if (inRound) setRound(false);
  }

  function toggleRound() {
    setRound(!inRound);
    openPid = inRound ? pidsInOrder()[0] || null : null;
    show();
  }

  // A check-in recorded during a round moves on to the next mat.
  function answered(source, ok) {
    if (inRound && ok && source && source.closest("[data-check]")) nextInRound();
  }

  // Escape closes the sheet; a round, if on, stays on.
  document.addEventListener("keydown", (evt) => {
    if (evt.key === "Escape" && openPid) {
      openPid = null;
      show();
    }
  });

  return { toggle, close, toggleRound, nextInRound, answered, follow: show };
}
