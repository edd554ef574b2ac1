// The portal's rarely opened dialog, fetched on first use rather than with the page
// (boot.js imports this module when the app asks): a workstation's working hours (the
// week editor), with the artist's use against their limits below it. Plain DOM and fetch, so they
// carry no second copy of the app's runtime: their size has its own budget
// (tests/e2e/budget.rs). Calls go through portal-proxy like the app's, with its
// X-Studio-Portal mark; text from the API is only ever set as text.

const DAYS = [
  ["MONDAY", "Monday"], ["TUESDAY", "Tuesday"], ["WEDNESDAY", "Wednesday"],
  ["THURSDAY", "Thursday"], ["FRIDAY", "Friday"], ["SATURDAY", "Saturday"], ["SUNDAY", "Sunday"],
];

const studioPath = (studio) => `/api/2020-08-01/studios/${encodeURIComponent(studio)}`;

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-studio-portal": "1" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.message || `The portal answered ${response.status}`);
  return json;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Their styles come with them, as a file (the page's CSP allows no inline styles).
const styles = element("link", { rel: "stylesheet", href: new URL("extras.css", import.meta.url).href });
document.head.append(styles);

/** A modal dialog titled `title`, removed when closed; its body and status line. */
function dialog(title) {
  const heading = element("h2", { id: "extra-title" }, title);
  const status = element("p", { role: "status", class: "extra-status" });
  const body = element("div");
  const close = element("button", { type: "button", class: "quiet" }, "Close");
  const box = element("dialog", { class: "extra", "aria-labelledby": "extra-title" }, heading, body, status, close);
  close.addEventListener("click", () => box.close());
  box.addEventListener("close", () => box.remove());
  document.body.append(box);
  box.showModal();
  return { box, body, status };
}

const localTime = (iso) => new Date(iso).toLocaleString();

/** The week editor of session `sessionId` (named `name`), and `user`'s limits. */
export async function weekEditor(studio, sessionId, name, user) {
  const { body, status } = dialog(`Working hours: ${name}`);
  const yours = element("section");
  limits(studio, user, yours);
  const path = `${studioPath(studio)}/streaming-sessions/${encodeURIComponent(sessionId)}/schedule`;
  status.textContent = "Loading…";
  let schedule;
  try {
    schedule = (await call("GET", path)).schedule;
  } catch (error) {
    status.textContent = error.message;
    return;
  }
  const rows = DAYS.map(([key, label]) => {
    const day = (schedule.days || {})[key];
    const works = element("input", { type: "checkbox", id: `works-${key}` });
    works.checked = Boolean(day);
    const start = element("input", { type: "time", "aria-label": `${label} start`, value: day?.start || "09:00" });
    const end = element("input", { type: "time", "aria-label": `${label} end`, value: day?.end || "18:00" });
    const sync = () => { start.disabled = end.disabled = !works.checked; };
    works.addEventListener("change", sync);
    sync();
    const row = element("div", { class: "day" },
      element("label", { for: `works-${key}` }, works, ` ${label}`), start, element("span", { "aria-hidden": "true" }, "–"), end);
    return { key, works, start, end, row };
  });
  const dayEnd = schedule.dayEnd === "WHEN_IDLE"
    ? "At the end of a day it stops if nobody is using it."
    : "At the end of a day it stops, after a warning.";
  const next = element("p", { class: "next-start" });
  const show = (s) => {
    next.textContent = s.nextStartAt ? `Next start: ${localTime(s.nextStartAt)}` : "No start planned.";
  };
  show(schedule);
  const save = element("button", { type: "submit" }, "Save");
  const form = element("form", {},
    element("fieldset", {}, element("legend", {}, `Days it starts itself (times in ${schedule.timeZone})`), ...rows.map((r) => r.row)),
    element("p", {}, dayEnd), next, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const days = {};
    for (const r of rows) if (r.works.checked) days[r.key] = { start: r.start.value, end: r.end.value };
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const saved = (await call("PUT", path, { days })).schedule;
      show(saved);
      status.textContent = "Saved.";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      save.disabled = false;
    }
  });
  body.append(form, yours);
  status.textContent = "";
  rows[0].works.focus();
}

/** The artist `user`'s use against each of their limits, added to `body`. */
async function limits(studio, user, body) {
  let usage;
  try {
    usage = (await call("GET", `${studioPath(studio)}/artists/${encodeURIComponent(user)}/usage`)).usage;
  } catch (error) {
    body.append(element("p", { class: "error" }, `Your limits cannot be shown: ${error.message}`));
    return;
  }
  const of = (used, limit) => (limit === undefined ? `${used} (no limit)` : `${used} of ${limit}`);
  const table = element("table", { class: "limits" },
    element("caption", {}, `Your limits this month (${usage.month})`),
    element("tr", {}, element("th", { scope: "col" }, "For"), element("th", { scope: "col" }, "Running now"), element("th", { scope: "col" }, "Hours this month")),
    ...(usage.lines || []).map((line) => element("tr", {},
      element("th", { scope: "row" }, line.launchProfileId || "All workstations"),
      element("td", {}, of(line.readyNow ?? 0, line.readyAtOnce)),
      element("td", {}, of(line.hoursThisMonth ?? 0, line.hoursPerMonth)))));
  body.append(table);
}
