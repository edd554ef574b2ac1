// The portal's rarely opened dialogs, fetched on first use rather than with the page
// (boot.js imports this module when a button naming one in its data-extra is clicked):
// a workstation's working hours (the week editor), with the artist's use against their
// limits below it; sharing a workstation; and what colleagues shared with the artist.
// Each is called with the card's session id and name (none for the header's). Plain DOM and fetch, so they
// carry no second copy of the app's runtime: their size has its own budget
// (tests/e2e/budget.rs). Calls go through portal-proxy like the app's, with its
// X-Studio-Portal mark; text from the API is only ever set as text.

const DAYS = [
  ["MONDAY", "Monday"], ["TUESDAY", "Tuesday"], ["WEDNESDAY", "Wednesday"],
  ["THURSDAY", "Thursday"], ["FRIDAY", "Friday"], ["SATURDAY", "Saturday"], ["SUNDAY", "Sunday"],
];

const studioPath = (studio) => `/api/2020-08-01/studios/${encodeURIComponent(studio)}`;

/** Who is signed in, and in which studio (`{ user, studioId }`, asked once); `null`, said
 * in `status`, when that cannot be known. */
let signedIn;
async function me(status) {
  signedIn ??= call("GET", "/api/me").catch((error) => { signedIn = undefined; throw error; });
  return signedIn.catch((error) => { status.textContent = error.message; return null; });
}

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

/** The week editor of session `sessionId` (named `name`), and the artist's limits. */
export async function weekEditor(sessionId, name) {
  const { body, status } = dialog(`Working hours: ${name}`);
  const who = await me(status);
  if (!who) return;
  const { user, studioId: studio } = who;
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

// Sharing. The server decides everything (who may join, in which mode, until when); these
// dialogs only ask and show. While one is open it reads again every few seconds, so who is
// connected, and what expired, stays true; closing it stops that.

const MODES = { VIEW_ONLY: "View only", CONTROL: "Control" };
const untilTime = (iso) => new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Reads `load` into `list` now and every 5 s while `box` is open. */
function refreshing(box, list, status, load) {
  const read = async () => {
    try {
      list.replaceChildren(...await load());
    } catch (error) {
      status.textContent = error.message;
    }
  };
  const timer = setInterval(() => (box.open ? read() : clearInterval(timer)), 5000);
  box.addEventListener("close", () => clearInterval(timer));
  return read;
}

/** Sharing session `sessionId` (named `name`): with whom, how, until when; and revoking. */
export async function share(sessionId, name) {
  const { box, body, status } = dialog(`Share ${name}`);
  const who = await me(status);
  if (!who) return;
  const studio = who.studioId;
  const path = `${studioPath(studio)}/streaming-sessions/${encodeURIComponent(sessionId)}/shares`;
  const colleague = element("input", { id: "share-user", required: "", autocomplete: "off", "aria-label": "Colleague's user name" });
  const mode = element("select", { id: "share-mode", "aria-label": "What they may do" },
    ...Object.entries(MODES).map(([value, label]) => element("option", { value }, label)));
  const minutes = element("select", { id: "share-minutes", "aria-label": "For how long" },
    ...[[30, "30 minutes"], [60, "1 hour"], [240, "4 hours"], [480, "8 hours"]].map(([value, label]) => element("option", { value }, label)));
  minutes.value = "60";
  const list = element("ul", { class: "shares", "aria-live": "polite" });
  const read = refreshing(box, list, status, async () => {
    const { shares = [], viewers = [] } = await call("GET", path);
    const rows = shares.map((s) => {
      const revoke = element("button", { type: "button", class: "quiet" }, "Revoke");
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await call("DELETE", `${path}/${encodeURIComponent(s.userId)}`);
          status.textContent = `${s.userId} can no longer see it.`;
        } catch (error) {
          status.textContent = error.message;
        }
        read();
      });
      const state = s.connected ? "connected" : "not connected";
      return element("li", { "data-user": s.userId }, `${s.userId}: ${MODES[s.mode]}, until ${untilTime(s.expiresAt)}, ${state} `, revoke);
    });
    const shared = new Set(shares.map((s) => s.userId));
    const others = viewers.filter((v) => !shared.has(v));
    if (others.length) rows.push(element("li", {}, `Also watching (support): ${others.join(", ")}`));
    return rows.length ? rows : [element("li", {}, "Not shared with anyone.")];
  });
  const submit = element("button", { type: "submit" }, "Share");
  const form = element("form", {},
    element("label", {}, "Colleague", colleague), element("label", {}, "May", mode), element("label", {}, "For", minutes), submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const user = colleague.value.trim();
      await call("PUT", `${path}/${encodeURIComponent(user)}`, { mode: mode.value, minutes: Number(minutes.value) });
      status.textContent = `Shared with ${user}. They find it under "Shared with me".`;
      colleague.value = "";
    } catch (error) {
      status.textContent = error.message;
    } finally {
      submit.disabled = false;
    }
    read();
  });
  body.append(form, element("h3", {}, "Shared with"), list);
  read();
  colleague.focus();
}

/** What colleagues shared with `user`, each with Connect. */
export async function sharedWithMe() {
  const { box, body, status } = dialog("Shared with me");
  const who = await me(status);
  if (!who) return;
  const { user, studioId: studio } = who;
  const mine = `${studioPath(studio)}/artists/${encodeURIComponent(user)}/shared-sessions`;
  const list = element("ul", { class: "shares", "aria-live": "polite" });
  const read = refreshing(box, list, status, async () => {
    const { shares = [] } = await call("GET", mine);
    const rows = shares.map((s) => {
      const connect = element("button", { type: "button" }, "Connect");
      connect.addEventListener("click", async () => {
        // Opened inside the click, as the portal's own Connect does: popup blockers allow
        // nothing after an await.
        const tab = window.open("about:blank", "_blank");
        status.textContent = "Connecting…";
        try {
          const { stream } = await call("POST", `${mine}/${encodeURIComponent(s.sessionId)}/streams`, {});
          if (tab) tab.location.href = stream.url; else window.location.href = stream.url;
          status.textContent = "";
        } catch (error) {
          tab?.close();
          status.textContent = error.message;
        }
      });
      const row = element("li", { "data-session": s.sessionId }, `${s.sessionName} (${s.ownedBy}): ${MODES[s.mode]}, until ${untilTime(s.expiresAt)} `, connect);
      // What the desktop shows now, when the studio can picture it (a READY local desktop).
      call("GET", `${mine}/${encodeURIComponent(s.sessionId)}/thumbnail`).then(({ thumbnail }) =>
        row.append(element("img", { alt: `${s.sessionName} now`, src: `data:image/jpeg;base64,${thumbnail.image}` })), () => {});
      return row;
    });
    return rows.length ? rows : [element("li", {}, "Nothing is shared with you now.")];
  });
  body.append(list);
  read();
}
