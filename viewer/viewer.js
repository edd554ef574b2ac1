// The desktop viewer: connects noVNC to <base>/desktop/ws with the one-time token from the
// URL, and reconnects by itself when the connection drops.
//
// URL contract (mirrors Amazon DCV's `?authToken=TOKEN#SESSION`):
//   page:      <base>/desktop/?authToken=TOKEN&name=NAME#SESSION   (the trailing slash matters;
//              NAME, the workstation's name for people, titles the tab)
//   WebSocket: <base>/desktop/ws?authToken=TOKEN&sessionId=SESSION   (same origin; ws: or wss:)
// The server checks the token on the upgrade and accepts it once, and only for the session it
// was made for, which the request must name; so a reload or a copied link shows the "used or
// expired" message. Its first frame is text: a reconnect grant, kept in this page's memory
// only. Then the WebSocket carries raw RFB in binary frames, no subprotocol.
//
// Reconnect: when the connection drops (network, laptop sleep), the page opens
// <base>/desktop/ws?sessionId=SESSION&resume=1 and sends its grant as the first frame,
// with backoff, for as long as the server keeps a grant (5 minutes after the drop). The
// server spends the grant and answers with the next one, or closes with 4401 when it opens
// nothing any more (used, expired, the workstation stopped): the page then says so.
//
// The token is removed from the address bar before anything else runs, so it is not kept in
// history, bookmarks or a copied URL; the page also sends no Referer (meta referrer).

// The package exports only core/rfb.js, under its own name.
import RFB from '@novnc/novnc';
import { attachToolbar } from './toolbar.js';

const EXPIRED = 'This link has been used or has expired. Connect again from the portal.';
const CLOSED = 'The workstation connection was closed. Connect again from the portal.';
const LOST = 'The connection to your workstation was lost. Connect again from the portal.';
const RECONNECTING = 'The connection to your workstation dropped. Reconnecting…';
// Close codes of a refused reconnect (local-studio's desktop/bridge.rs).
const USED = 4401;
// Retry delays (ms), the last repeated, while the server may still hold the grant.
const BACKOFF = [250, 500, 1000, 2000, 4000, 8000, 15000];
const RECONNECT_FOR_MS = 5 * 60 * 1000;

const params = new URLSearchParams(window.location.search);
const token = params.get('authToken');
const session = decodeURIComponent(window.location.hash.slice(1));
// Resolved against the page (…/desktop/), so a base path in front of /desktop/ is kept.
const wsUrl = new URL('ws', window.location.href);
wsUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
wsUrl.hash = '';
const firstUrl = new URL(wsUrl);
firstUrl.search = `?authToken=${encodeURIComponent(token ?? '')}&sessionId=${encodeURIComponent(session)}`;
const resumeUrl = new URL(wsUrl);
resumeUrl.search = `?sessionId=${encodeURIComponent(session)}&resume=1`;
window.history.replaceState(null, '', window.location.pathname + window.location.hash);

const screen = document.getElementById('screen');
const status = document.getElementById('status');
const toolbar = attachToolbar();

function show(message, isError) {
  status.textContent = message;
  status.classList.toggle('error', isError);
  status.hidden = false;
}

// The tab names the workstation as the portal does (the URL's `name`, else its id).
const name = params.get('name') || session;
if (name) {
  document.title = `${name} · Workstation`;
}

let grant = null; // the server's latest reconnect grant
let droppedAt = 0; // when the connection in use dropped (ms), 0 while connected
let attempt = 0;

// Opens the WebSocket; on its first frame (the grant) noVNC takes it over, at once, so the
// RFB bytes that follow reach noVNC's own handler.
function open(url, sendFirst) {
  const ws = new WebSocket(url);
  let rfb = null;
  ws.onopen = () => { if (sendFirst) ws.send(sendFirst); };
  ws.onmessage = (event) => {
    if (typeof event.data !== 'string') return;
    grant = event.data;
    rfb = start(ws);
  };
  ws.onclose = (event) => { if (!rfb) refused(event.code); };
}

function start(ws) {
  try {
    const rfb = new RFB(screen, ws, { shared: true });
    rfb.focusOnClick = true;
    rfb.background = '#111';
    toolbar(rfb);
    rfb.addEventListener('connect', () => {
      droppedAt = 0;
      attempt = 0;
      status.hidden = true;
      rfb.focus();
    });
    rfb.addEventListener('disconnect', (event) => {
      if (droppedAt) {
        // The connection failed before the desktop showed: try again.
        retry();
      } else {
        droppedAt = Date.now();
        show(RECONNECTING, false);
        retry(event.detail.clean);
      }
    });
    return rfb;
  } catch (error) {
    show(`The viewer could not start: ${error.message}`, true);
    return null;
  }
}

// A connection that never reached the desktop closed with `code`.
function refused(code) {
  if (!droppedAt) {
    show(EXPIRED, true); // the token opened nothing
  } else if (code === USED) {
    show(CLOSED, true); // the workstation stopped, or the grant is spent or expired
  } else {
    retry();
  }
}

// Reconnects with the grant after the next delay; `now` skips the first one (a clean close
// is the server's doing, so asking at once finds out why).
function retry(now = false) {
  if (!grant || Date.now() - droppedAt > RECONNECT_FOR_MS) {
    show(LOST, true);
    return;
  }
  const delay = now ? 0 : BACKOFF[Math.min(attempt, BACKOFF.length - 1)];
  attempt += 1;
  setTimeout(() => open(resumeUrl.href, grant), delay);
}

if (!token) {
  show(EXPIRED, true);
} else {
  open(firstUrl.href, null);
}
