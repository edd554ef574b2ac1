// The viewer's toolbar: fit the desktop to the window or scale it, full screen, keys the
// browser would otherwise keep for itself, picture quality, and the clipboard.
//
// It shows while connected and tucks itself under the top edge a few seconds after the
// pointer leaves it; moving the pointer to that edge brings it back. Choices are kept per
// browser. `attachToolbar()` sets the page up once and returns the function that hands it
// each connection's noVNC object (a reconnect makes a new one). Whether a clipboard may cross at all is the server's decision (a profile's
// clipboardMode DISABLED starts Xvnc with it off); this page only carries it.

// X keysyms: noVNC's package does not export its own table.
const KEYSYM = {
  ctrl: 0xffe3, alt: 0xffe9, super: 0xffeb, del: 0xffff, tab: 0xff09, esc: 0xff1b,
  f4: 0xffc1, n: 0x6e, t: 0x74, w: 0x77,
};
const COMBOS = {
  'ctrl-alt-del': ['ctrl', 'alt', 'del'], 'alt-tab': ['alt', 'tab'], 'alt-f4': ['alt', 'f4'],
  'ctrl-w': ['ctrl', 'w'], 'ctrl-t': ['ctrl', 't'], 'ctrl-n': ['ctrl', 'n'],
  super: ['super'], esc: ['esc'],
};
// [qualityLevel (JPEG), compressionLevel (zlib)], each 0–9; noVNC's defaults are 6 and 2.
const QUALITY = { best: [9, 1], balanced: [6, 2], low: [2, 9] };
const TUCK_AFTER_MS = 3000;

const remembered = (key, fallback) => {
  try { return localStorage.getItem(`viewer.${key}`) ?? fallback; } catch { return fallback; }
};
const remember = (key, value) => {
  try { localStorage.setItem(`viewer.${key}`, value); } catch { /* private mode: not kept */ }
};

export function attachToolbar() {
  const $ = (id) => document.getElementById(id);
  const bar = $('toolbar');
  const fit = $('fit');
  const full = $('fullscreen');
  const keys = $('keys');
  const quality = $('quality');
  const clip = $('clipboard');
  let rfb = null; // the connection in use

  let timer;
  const tuck = () => {
    if (bar.matches(':hover, :focus-within')) {
      timer = setTimeout(tuck, TUCK_AFTER_MS);
    } else {
      bar.classList.add('tucked');
    }
  };
  const show = () => {
    bar.classList.remove('tucked');
    clearTimeout(timer);
    timer = setTimeout(tuck, TUCK_AFTER_MS);
  };
  // Capturing: noVNC's canvas takes the pointer's events for the desktop.
  document.addEventListener('pointermove', (e) => { if (e.clientY < 12) show(); }, true);
  bar.addEventListener('focusin', show);

  // Fit: the desktop takes the window's size (ExtendedDesktopSize). Off: it keeps its
  // size and is scaled into the window.
  const applyFit = () => {
    const on = fit.getAttribute('aria-pressed') === 'true';
    rfb.resizeSession = on;
    rfb.scaleViewport = !on;
  };
  const setFit = (on) => {
    fit.setAttribute('aria-pressed', String(on));
    remember('fit', on ? '1' : '0');
    applyFit();
  };
  fit.setAttribute('aria-pressed', String(remembered('fit', '1') === '1'));
  fit.addEventListener('click', () => setFit(fit.getAttribute('aria-pressed') !== 'true'));

  full.hidden = !document.fullscreenEnabled;
  full.addEventListener('click', () => {
    const done = document.fullscreenElement
      ? document.exitFullscreen()
      : document.documentElement.requestFullscreen();
    done.catch(() => {}).finally(() => rfb.focus());
  });
  document.addEventListener('fullscreenchange', () => {
    full.setAttribute('aria-pressed', String(Boolean(document.fullscreenElement)));
  });

  keys.addEventListener('change', () => {
    const combo = COMBOS[keys.value] ?? [];
    combo.forEach((k) => rfb.sendKey(KEYSYM[k], null, true));
    [...combo].reverse().forEach((k) => rfb.sendKey(KEYSYM[k], null, false));
    keys.value = '';
    rfb.focus();
  });

  const applyQuality = () => {
    [rfb.qualityLevel, rfb.compressionLevel] = QUALITY[quality.value];
  };
  const setQuality = (name) => {
    quality.value = name in QUALITY ? name : 'balanced';
    remember('quality', quality.value);
    applyQuality();
  };
  quality.value = remembered('quality', 'balanced') in QUALITY
    ? remembered('quality', 'balanced') : 'balanced';
  quality.addEventListener('change', () => setQuality(quality.value));

  // Desktop to browser: into the box, and into the browser's clipboard where it lets us
  // (a focused page). Browser to desktop: what is typed or pasted into the box, and the
  // browser's clipboard on "Paste into desktop" or, once allowed, when the tab is focused.
  const send = (text) => {
    clip.value = text;
    rfb.clipboardPasteFrom(text);
  };
  // Once typing pauses: one clipboard for the desktop per pause, not one per keystroke.
  let typing;
  clip.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => rfb.clipboardPasteFrom(clip.value), 300);
  });
  $('paste').addEventListener('click', () => {
    navigator.clipboard?.readText()
      .then(send)
      .catch(() => { clip.placeholder = 'Paste here (the browser keeps its clipboard)'; });
  });
  window.addEventListener('focus', async () => {
    const read = await navigator.permissions?.query({ name: 'clipboard-read' }).catch(() => null);
    if (read?.state !== 'granted') return;
    const text = await navigator.clipboard.readText().catch(() => null);
    if (text && text !== clip.value) send(text);
  });

  return (connection) => {
    rfb = connection;
    applyFit();
    applyQuality();
    rfb.addEventListener('connect', () => { bar.hidden = false; show(); });
    rfb.addEventListener('disconnect', () => { bar.hidden = true; });
    rfb.addEventListener('clipboard', (e) => {
      clip.value = e.detail.text;
      navigator.clipboard?.writeText(e.detail.text).catch(() => {});
    });
  };
}
