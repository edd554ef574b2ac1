// Starts the wasm app from a file, not an inline script, so the page's CSP can forbid
// inline scripts. Trunk writes the hashed file names into this script tag's data.
const tag = document.querySelector('script[data-js]');
const app = await import(tag.dataset.js);
await app.default({ module_or_path: tag.dataset.wasm });
// The rarely opened dialogs (extras.js) load only when the app asks for one.
window.studioPortalExtras = async (name, ...args) =>
  (await import(new URL("extras.js", import.meta.url)))[name](...args);
