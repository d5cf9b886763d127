// This tablet's own look, kept in its storage: the red night theme, and blackout (everything
// dimmed but alerts). A class on <html> each; the checkboxes sit under "This tablet".
const LOOKS = { "theme-red": "roomlive.theme-red", blackout: "roomlive.blackout" };

function isOn(storageKey) {
  try {
    return localStorage.getItem(storageKey) === "on";
  } catch (e) {
    return false; // private mode
  }
}

function applyLooks() {
  Object.entries(LOOKS).forEach(([name, storageKey]) => {
    const on = isOn(storageKey);
    document.documentElement.classList.toggle(name, on);
    const box = document.getElementById(name);
    if (box) box.checked = on;
  });
}

export function startLooks() {
  applyLooks();
  Object.entries(LOOKS).forEach(([name, storageKey]) => {
    const box = document.getElementById(name);
    if (!box) return;
    box.addEventListener("change", () => {
      try {
        localStorage.setItem(storageKey, box.checked ? "on" : "off");
      } catch (e) {
        // private mode: not kept
      }
      applyLooks();
    });
  });
}
