// "Find this tablet": a gentle pulse of the whole screen for a few seconds. The server pushes a
// fresh #finder with a new nonce to the tablet asked for.
const FIND_MS = 4000;

export function startFinder() {
  let lastNonce = null;

  // After each push.
  function check() {
    const finder = document.getElementById("finder");
    if (!finder || !finder.dataset.nonce || finder.dataset.nonce === lastNonce) return;
    lastNonce = finder.dataset.nonce;
    document.body.classList.add("finding");
    setTimeout(() => document.body.classList.remove("finding"), FIND_MS);
  }

  return { check };
}
