// A hand check of the built viewer against a real desktop, without local-studio: a toy server
// (the bundle at /desktop/ under a strict CSP, plus a one-time-token WebSocket at /desktop/ws
// copying bytes to and from the VNC unix socket) and headless Chromium driven over CDP. It
// shows exactly what the real bridge must do, and proves the page draws a desktop.
//
//   cargo run -p local-desktop --example desktop -- launch /tmp/desktops ss-try
//   node --experimental-websocket viewer/smoke.mjs .tools/desktop-viewer /tmp/desktops/run/ss-try/x/vnc.sock
//   cargo run -p local-desktop --example desktop -- stop /tmp/desktops ss-try
//
// Prints, for a first visit, a reused token and no token: the address bar, the status message,
// the canvas size and how many distinct colours a sample of its pixels has (a drawn desktop
// has many). Not part of `cargo xtask test`: the real end-to-end test drives local-studio.
import http from 'node:http';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawn } from 'node:child_process';

const [viewerDir, vncSocket] = process.argv.slice(2);
const tokens = new Set(['tok-1']);
let served = [];

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  served.push(url.pathname);
  let file = url.pathname === '/desktop/' ? 'index.html' : url.pathname.replace(/^\/desktop\//, '');
  const full = path.join(viewerDir, file);
  if (!url.pathname.startsWith('/desktop/') || !fs.existsSync(full)) { res.writeHead(404); return res.end(); }
  const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'text/html';
  res.writeHead(200, { 'content-type': type, 'content-security-policy': "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'" });
  res.end(fs.readFileSync(full));
});
server.on('upgrade', (req, sock) => {
  const url = new URL(req.url, 'http://x');
  const token = url.searchParams.get('authToken');
  if (url.pathname !== '/desktop/ws' || !tokens.delete(token)) {
    sock.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'); return;
  }
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  sock.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  const vnc = net.connect(vncSocket);
  vnc.on('data', (d) => {
    const len = d.length;
    const head = len < 126 ? Buffer.from([0x82, len]) : len < 65536 ? Buffer.from([0x82, 126, len >> 8, len & 255]) : (() => { const b = Buffer.alloc(10); b[0] = 0x82; b[1] = 127; b.writeBigUInt64BE(BigInt(len), 2); return b; })();
    sock.write(Buffer.concat([head, d]));
  });
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 127, off = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); off = 10; }
      if (buf.length < off + 4 + len) return;
      const mask = buf.subarray(off, off + 4), payload = Buffer.from(buf.subarray(off + 4, off + 4 + len));
      for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
      const op = buf[0] & 15; buf = buf.subarray(off + 4 + len);
      if (op === 8) { vnc.end(); sock.end(); return; }
      if (op === 2 || op === 0) vnc.write(payload);
    }
  });
  sock.on('close', () => vnc.destroy()); vnc.on('close', () => sock.destroy());
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const profile = fs.mkdtempSync('/tmp/chr-');
const chrome = spawn('/usr/bin/chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsEndpoint = await new Promise((resolve) => { let t = ''; chrome.stderr.on('data', (d) => { t += d; const m = t.match(/ws:\/\/\S+/); if (m) resolve(m[0]); }); });
const browser = new WebSocket(wsEndpoint);
await new Promise((r) => browser.addEventListener('open', r));
let id = 0; const pending = new Map(); const consoleLines = [];
browser.addEventListener('message', (e) => { const m = JSON.parse(e.data); if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } if (m.method === 'Runtime.exceptionThrown' || m.method === 'Runtime.consoleAPICalled' || m.method === 'Log.entryAdded') consoleLines.push(JSON.stringify(m.params).slice(0, 300)); });
const call = (method, params = {}, sessionId) => new Promise((r) => { const i = ++id; pending.set(i, r); browser.send(JSON.stringify({ id: i, method, params, sessionId })); });
const { result: { targetId } } = await call('Target.createTarget', { url: 'about:blank' });
const { result: { sessionId } } = await call('Target.attachToTarget', { targetId, flatten: true });
await call('Runtime.enable', {}, sessionId); await call('Log.enable', {}, sessionId);
await call('Emulation.setDeviceMetricsOverride', { width: 1000, height: 700, deviceScaleFactor: 1, mobile: false }, sessionId);
const evaluate = async (expr) => (await call('Runtime.evaluate', { expression: expr, returnByValue: true }, sessionId)).result?.result?.value;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const probe = `(() => { const c = document.querySelector('#screen canvas'); let distinct = 0;
  if (c && c.width) { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) { seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2]); } distinct = seen.size; }
  const s = document.getElementById('status');
  return { href: location.href, title: document.title, status: s.hidden ? null : s.textContent, canvas: c ? [c.width, c.height] : null, distinct,
           referrer: document.querySelector('meta[name=referrer]')?.content }; })()`;

const t0 = Date.now();
await call('Page.navigate', { url: `http://127.0.0.1:${port}/desktop/?authToken=tok-1#ss-smoke` }, sessionId);
let state;
for (let i = 0; i < 100; i++) { await sleep(100); state = await evaluate(probe); if (state && state.distinct > 3) break; }
console.log('first visit after', Date.now() - t0, 'ms:', JSON.stringify(state));
await call('Page.navigate', { url: `http://127.0.0.1:${port}/desktop/?authToken=tok-1#ss-smoke` }, sessionId);
for (let i = 0; i < 50; i++) { await sleep(100); state = await evaluate(probe); if (state && state.status && !state.status.startsWith('Connecting')) break; }
console.log('reused token:', JSON.stringify(state));
await call('Page.navigate', { url: `http://127.0.0.1:${port}/desktop/#ss-smoke` }, sessionId);
await sleep(500); state = await evaluate(probe);
console.log('no token:', JSON.stringify(state));
console.log('console:', consoleLines.join('\n'));
chrome.kill(); server.close(); process.exit(0);
