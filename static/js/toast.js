// The message line at the foot of every page (#toast). The server replaces it whole when it has
// something to say, so it is looked up each time rather than held.
const TOAST_MS = 5000;
const TOAST_ID = "toast";
const HIDDEN = "toast";

export function startToasts() {
  let fadeTimer = null;

  // An alert that nothing was recorded stays until it is dismissed: it must not fade unseen.
  function isSticky(toast) {
    return toast.classList.contains("show") && toast.classList.contains("sticky");
  }

  function fadeLater(toast) {
    clearTimeout(fadeTimer);
    fadeTimer = setTimeout(() => {
      toast.className = HIDDEN;
    }, TOAST_MS);
  }

  function show(text, kind = "error") {
    const toast = document.getElementById(TOAST_ID);
    if (!toast || isSticky(toast)) return; // a write the server could not record outranks it
    toast.textContent = text;
    toast.className = `toast show ${kind}`;
    fadeLater(toast);
  }

  function info(text) {
    show(text, "info");
  }

  function dismiss() {
    document.getElementById(TOAST_ID).className = HIDDEN;
  }

  // A message the server sent (swapped in by htmx) fades like one shown here.
  document.addEventListener("htmx:after:swap", () => {
    const toast = document.getElementById(TOAST_ID);
    if (toast && toast.classList.contains("show") && !isSticky(toast)) fadeLater(toast);
  });

  return { show, info, dismiss };
}
