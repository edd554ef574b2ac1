// The desktop viewer: connects noVNC to <base>/desktop/ws with the one-time token from the URL.
//
// URL contract (mirrors Amazon DCV's `?authToken=TOKEN#SESSION`):
//   page:      <base>/desktop/?authToken=TOKEN#SESSION   (the trailing slash matters)
//   WebSocket: <base>/desktop/ws?authToken=TOKEN&sessionId=SESSION   (same origin; ws: or wss:)
// The WebSocket carries raw RFB in binary frames, no subprotocol: a byte copy to the desktop's
// VNC unix socket is the whole bridge. The server checks the token on the upgrade and accepts
// it once, and only for the session it was made for, which the request must name; so a reload
// or a copied link shows the "used or expired" message.
//
// The token is removed from the address bar before anything else runs, so it is not kept in
// history, bookmarks or a copied URL; the page also sends no Referer (meta referrer).

// The package exports only core/rfb.js, under its own name.
import RFB from '@novnc/novnc';
import { attachToolbar } from './toolbar.js';

const EXPIRED = 'This link has been used or has expired. Connect again from the portal.';
const CLOSED = 'The workstation connection was closed. Connect again from the portal.';
const LOST = 'The connection to your workstation was lost. Connect again from the portal.';

const params = new URLSearchParams(window.location.search);
const token = params.get('authToken');
const session = decodeURIComponent(window.location.hash.slice(1));
// Resolved against the page (…/desktop/), so a base path in front of /desktop/ is kept.
const wsUrl = new URL('ws', window.location.href);
wsUrl.protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
wsUrl.hash = '';
wsUrl.search = token
  ? `?authToken=${encodeURIComponent(token)}&sessionId=${encodeURIComponent(session)}`
  : '';
window.history.replaceState(null, '', window.location.pathname + window.location.hash);

const screen = document.getElementById('screen');
const status = document.getElementById('status');

function show(message, isError) {
  status.textContent = message;
  status.classList.toggle('error', isError);
  status.hidden = false;
}

if (session) {
  document.title = `Workstation ${session}`;
}

if (!token) {
  show(EXPIRED, true);
} else {
  let connected = false;
  try {
    const rfb = new RFB(screen, wsUrl.href, { shared: true });
    rfb.focusOnClick = true;
    rfb.background = '#111';
    attachToolbar(rfb);
    rfb.addEventListener('connect', () => {
      connected = true;
      status.hidden = true;
      rfb.focus();
    });
    rfb.addEventListener('disconnect', (event) => {
      if (!connected) {
        show(EXPIRED, true);
      } else {
        show(event.detail.clean ? CLOSED : LOST, !event.detail.clean);
      }
    });
    rfb.addEventListener('securityfailure', () => show(EXPIRED, true));
    rfb.addEventListener('desktopname', (event) => {
      document.title = `Workstation ${event.detail.name}`;
    });
  } catch (error) {
    show(`The viewer could not start: ${error.message}`, true);
  }
}
