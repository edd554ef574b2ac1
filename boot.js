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
// Live thumbnails: while the page is visible, each READY card shows a picture of its
// desktop, read again every 10 s (local-studio takes one at most that often). A card the
// studio cannot picture (simulated, EC2) answers 404 and shows none.
let me;
const thumbnails = async () => {
  if (document.hidden) return;
  me ??= await (await fetch("/api/me")).json();
  for (const card of document.querySelectorAll(".card[data-session]")) {
    const img = card.querySelector("img") ?? document.createElement("img");
    const answer = card.querySelector("[data-state=READY]") &&
      await fetch(`/api/2020-08-01/studios/${me.studioId}/streaming-sessions/${card.dataset.session}/thumbnail`);
    if (answer?.ok) {
      img.src = "data:image/jpeg;base64," + (await answer.json()).thumbnail.image;
      img.alt = "The desktop now";
      card.append(img);
    } else img.remove();
  }
};
setInterval(thumbnails, 1e4);
thumbnails();
