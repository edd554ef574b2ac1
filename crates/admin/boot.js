// Starts the admin wasm from a file, not an inline script (the CSP forbids inline ones).
const tag = document.querySelector('script[data-js]');
const app = await import(tag.dataset.js);
await app.default({ module_or_path: tag.dataset.wasm });
