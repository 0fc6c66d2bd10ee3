// The entry app's offline store: one IndexedDB object store of JSON texts by key (the permit,
// the queue of entries made offline, the cached context and patient files), and SHA-256 for the
// keys of cached files (never a NIR in clear). A few lines of JS cost less download than the
// same IndexedDB plumbing compiled to wasm.
//
// Every text is stored encrypted (AES-GCM, a fresh IV each time) under a key this device made
// once and cannot export: what a new patient's entry holds (NIR, name, birth date) is not
// readable in the browser's files or its developer tools' storage view.

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

// The device's key, kept in the store itself as a non-extractable CryptoKey.
const KEY = 'cle';
let deviceKey;

async function cryptoKey() {
  if (!deviceKey) {
    deviceKey = (async () => {
      const kept = await inStore('readonly', (s) => s.get(KEY));
      if (kept) return kept;
      const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      // Two tabs may race here: `add` keeps the first key and the loser reads it.
      try {
        await inStore('readwrite', (s) => s.add(made, KEY));
        return made;
      } catch {
        return inStore('readonly', (s) => s.get(KEY));
      }
    })();
    // A failure (the store could not open) is not kept: the next call tries again.
    deviceKey.catch(() => {
      deviceKey = undefined;
    });
  }
  return deviceKey;
}

// The text stored under `key`, or undefined (also when it cannot be decrypted).
export async function storeGet(key) {
  const stored = await inStore('readonly', (s) => s.get(key));
  if (!stored || !stored.iv) return undefined;
  try {
    const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: stored.iv }, await cryptoKey(), stored.data);
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}

export async function storePut(key, text) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await cryptoKey(), new TextEncoder().encode(text));
  return inStore('readwrite', (s) => s.put({ iv, data }, key));
}


// Deletes every key but those listed (the queue outlives a sign-out: nothing typed is lost) and
// the device's key (which the queue needs).
export async function storeWipe(keep) {
  const kept = new Set([...keep, KEY]);
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
