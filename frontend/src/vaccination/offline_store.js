// The entry app's offline store: one IndexedDB object store of JSON texts by key (the permit,
// the queue of entries made offline, the cached context and patient files), and SHA-256 for the
// keys of cached files (never a NIR in clear). A few lines of JS cost less download than the
// same IndexedDB plumbing compiled to wasm.

const DB = 'vigie-hors-ligne';
const STORE = 'donnees';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function inStore(mode, act) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

// The text stored under `key`, or undefined.
export const storeGet = (key) => inStore('readonly', (s) => s.get(key));
export const storePut = (key, text) => inStore('readwrite', (s) => s.put(text, key));
export const storeDelete = (key) => inStore('readwrite', (s) => s.delete(key));

// Deletes every key but those listed (the queue outlives a sign-out: nothing typed is lost).
export async function storeWipe(keep) {
  const kept = new Set(keep);
  await inStore('readwrite', (s) => {
    const cursor = s.openKeyCursor();
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (!at) return;
      if (!kept.has(at.key)) s.delete(at.key);
      at.continue();
    };
    return null;
  });
}

// SHA-256 of a text, in hexadecimal.
export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
