// A push never takes away what a facilitator is in the middle of. A region is replaced whole
// when anything in it changes (a phone connecting redraws the side column): an open panel would
// close, and a half-typed value would be lost, under the finger.
const TYPED = "[data-typed]";

// What was typed into a form is saved: from now on its fields show what the server has.
export function forgetTyped(form) {
  form.querySelectorAll(TYPED).forEach((field) => {
    delete field.dataset.typed;
  });
}

// live: the page's #live, whose regions the pushes replace.
export function startKeeping(live) {
  let kept = null;

  live.addEventListener("input", (evt) => {
    if (evt.target instanceof HTMLElement && evt.target.id) evt.target.dataset.typed = "1";
  });

  // Before each push.
  function remember() {
    const focused = document.activeElement && document.activeElement.id;
    kept = { open: [], typed: [], focused };
    document.querySelectorAll("details[id][open]").forEach((panel) => kept.open.push(panel.id));
    document.querySelectorAll(`input[id]${TYPED}, textarea[id]${TYPED}`).forEach((field) => {
      kept.typed.push([field, field.value]);
    });
  }

  // After it.
  function restore() {
    if (!kept) return;
    kept.open.forEach((id) => {
      const panel = document.getElementById(id);
      if (panel) panel.open = true;
    });
    // Only into a field that replaced the one typed in: one kept in place (morphed, preserved)
    // already holds what it should, and a form answered meanwhile has emptied it on purpose.
    kept.typed.forEach(([typedIn, value]) => {
      const field = document.getElementById(typedIn.id);
      if (field && field !== typedIn) {
        field.value = value;
        field.dataset.typed = "1";
      }
    });
    const focused = kept.focused && document.getElementById(kept.focused);
    if (focused && document.activeElement !== focused) focused.focus();
    kept = null;
  }

  return { remember, restore };
}
