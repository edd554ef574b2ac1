// Starts the wasm app from a file, not an inline script, so the page's CSP can forbid
// inline scripts. Trunk writes the hashed file names into this script tag's data.
const tag = document.querySelector('script[data-js]');
const app = await import(tag.dataset.js);
await app.default({ module_or_path: tag.dataset.wasm });
// The rarely opened dialogs (extras.js) load only when a button that names one in its
// data-extra is clicked; a card's button opens it for that card's workstation.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-extra]");
  if (!button) return;
  const card = button.closest("[data-session]");
  const extras = await import(new URL("extras.js", import.meta.url));
  extras[button.dataset.extra](card?.dataset.session, card?.querySelector("h2")?.textContent);
});
