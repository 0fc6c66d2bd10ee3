// Vigie's service worker, registered by the phone's approver app (`/validation`) and by the
// tablet's entry app (`/vaccination`, which may enter doses offline).
// - Install: caches both apps' shells (the HTML of /validation and /vaccination, every script,
//   style sheet and wasm they reference, and the JS snippets their scripts import) and the
//   offline page.
// - Pages: network first; offline, the cached page of either app (or the offline page when it
//   is not cached, or for the other apps' pages).
// - Hashed files (trunk's names never change content) and snippets: cache first.
// - Web Push: a notification that says only that a request waits. It never approves: the tap
//   opens /validation on that request, where the code and PIN/biometrics are asked.
// - Updates: a new version waits until the page says SKIP_WAITING ("Recharger").
//
// The server replaces the placeholder below with the build's identifier when it serves this
// file, so every build gets caches of its own (and the browser sees a new worker).
'use strict';

const BUILD = '__VIGIE_BUILD__';
const CACHE = `vigie-phone-${BUILD}`;
const SHELL = '/validation';
// The pages that start offline: the phone's, and dose entry.
const SHELLS = [SHELL, '/vaccination'];
const OFFLINE = '/offline.html';
const NOTICE = 'Une demande de connexion attend votre validation.';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// `vigie-frontend-bbcee04141d381f4_bg.wasm`, `style-7eb4c80974af1b5e.css`: 16 hex digits after
// the last dash (the server caches these for a year too).
function isHashed(pathname) {
  const name = pathname.split('/').pop() || '';
  let stem = name.split('.')[0];
  if (stem.endsWith('_bg')) stem = stem.slice(0, -3);
  const dash = stem.lastIndexOf('-');
  return dash >= 0 && /^[0-9a-f]{16}$/i.test(stem.slice(dash + 1));
}

// Same-origin files a page references: <link href>, <script src>, and the module and wasm
// that trunk's inline bootstrap script imports.
function referencedUrls(html) {
  const urls = new Set();
  const patterns = [
    /<link\b[^>]*\bhref\s*=\s*["']([^"']+)["']/gi,
    /<script\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi,
    /["'](\/[^"'\s]+\.(?:js|wasm|css))["']/gi,
  ];
  for (const pattern of patterns) {
    for (const match of html.matchAll(pattern)) {
      const url = new URL(match[1], self.location.origin);
      if (url.origin === self.location.origin && !url.pathname.startsWith('/api/')) {
        urls.add(url.pathname);
      }
    }
  }
  return [...urls];
}

// The JS snippets (wasm-bindgen's `snippets/…` modules) a script imports, as absolute paths.
function importedSnippets(script, scriptPath) {
  const urls = [];
  for (const match of script.matchAll(/["'](\.{0,2}\/?[^"'\s]*snippets\/[^"'\s]+\.js)["']/g)) {
    const url = new URL(match[1], new URL(scriptPath, self.location.origin));
    if (url.origin === self.location.origin) urls.push(url.pathname);
  }
  return urls;
}

function isSnippet(pathname) {
  return pathname.includes('/snippets/') && pathname.endsWith('.js');
}

async function precacheShell(cache, shell) {
  const page = await fetch(shell, { cache: 'no-cache', credentials: 'same-origin' });
  if (!page.ok) throw new Error(`${shell}: ${page.status}`);
  const html = await page.clone().text();
  await cache.put(shell, page);
  const urls = referencedUrls(html);
  for (const path of urls.filter((u) => u.endsWith('.js'))) {
    const script = await fetch(path, { credentials: 'same-origin' });
    if (script.ok) urls.push(...importedSnippets(await script.text(), path));
  }
  return urls;
}

async function precache() {
  const cache = await caches.open(CACHE);
  const urls = new Set([OFFLINE]);
  for (const shell of SHELLS) {
    for (const url of await precacheShell(cache, shell)) urls.add(url);
  }
  await cache.addAll([...urls]);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith('vigie-') && name !== CACHE).map((name) => caches.delete(name)),
      );
      // The first version takes the open pages at once (nothing to replace); later ones only
      // after SKIP_WAITING.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') {
    self.skipWaiting();
  }
});

async function fromNetworkThenShell(request) {
  try {
    const answer = await fetch(request);
    // A fresh copy of the page for the next offline start.
    const pathname = new URL(request.url).pathname;
    if (answer.ok && SHELLS.includes(pathname)) {
      const cache = await caches.open(CACHE);
      await cache.put(pathname, answer.clone());
    }
    return answer;
  } catch (offline) {
    // The phone's page and dose entry start from their cached copies; any other page of the
    // site (another app's, not cached here) gets the offline page.
    const cache = await caches.open(CACHE);
    const pathname = new URL(request.url).pathname;
    const shell = SHELLS.includes(pathname) ? await cache.match(pathname) : undefined;
    return shell || (await cache.match(OFFLINE)) || Response.error();
  }
}

async function fromCacheThenNetwork(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const answer = await fetch(request);
  if (answer.ok) await cache.put(request, answer.clone());
  return answer;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // The API (and its live streams) always go to the server, never through a cache.
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (request.mode === 'navigate') {
    event.respondWith(fromNetworkThenShell(request));
  } else if (isHashed(url.pathname) || isSnippet(url.pathname)) {
    event.respondWith(fromCacheThenNetwork(request));
  }
});

// What a push carries, once decrypted: {"kind":"approval_request","approval_id":"<uuid>"}.
function approvalId(event) {
  try {
    const message = event.data ? event.data.json() : null;
    if (message && message.kind === 'approval_request' && UUID.test(message.approval_id)) {
      return message.approval_id.toLowerCase();
    }
  } catch (unreadable) {
    // Shown all the same (a push must show something): it opens the list.
  }
  return null;
}

self.addEventListener('push', (event) => {
  const id = approvalId(event);
  const url = id ? `${SHELL}?demande=${id}` : SHELL;
  event.waitUntil(
    self.registration.showNotification('Vigie', {
      body: NOTICE,
      tag: id || 'vigie',
      data: { url, approval_id: id },
      icon: '/icon-192.png',
      lang: 'fr',
      requireInteraction: true,
    }),
  );
});

// A tapped notification: the open phone page is brought forward and told which request; or
// the page opens on it. Callable on its own (the browser tests call it).
async function openRequest(id) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).pathname === SHELL);
  if (open) {
    if (id) open.postMessage({ kind: 'approval_request', approval_id: id });
    try {
      await open.focus();
    } catch (notAllowed) {
      // Focus needs the tap's user activation; the page has the request all the same.
    }
    return open;
  }
  return self.clients.openWindow(id ? `${SHELL}?demande=${id}` : SHELL);
}
self.openRequest = openRequest;

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const data = event.notification.data || {};
  const id = typeof data.approval_id === 'string' && UUID.test(data.approval_id) ? data.approval_id : null;
  event.waitUntil(openRequest(id));
});
