// The hall tablet's device key (enrolled terminals). ECDSA P-256, generated here with
// `extractable: false` and kept in IndexedDB as a CryptoKey: the browser stores and uses the
// private key but never hands it out, so copying the page's data copies no usable key.
// The public half is always exportable (WebCrypto), which is what the server keeps.

const DB = 'vigie-poste';
const STORE = 'cle';
const ID = 'poste';

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
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

const read = () => inStore('readonly', (s) => s.get(ID));
const write = (record) => inStore('readwrite', (s) => s.put(record, ID));

function base64url(buffer) {
  let text = '';
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// A new device key, replacing any previous one; answers its public half (SPKI, base64url).
export async function newDeviceKey() {
  const pair = await crypto.subtle.generateKey(
    { name: 'ECDSA', namedCurve: 'P-256' },
    false,
    ['sign', 'verify'],
  );
  await write({ privateKey: pair.privateKey, publicKey: pair.publicKey, terminalId: null });
  return base64url(await crypto.subtle.exportKey('spki', pair.publicKey));
}

// The server enrolled the key: remember under which terminal id.
export async function setDeviceTerminal(terminalId) {
  const record = await read();
  if (!record) throw new Error('Aucune clé de poste sur cet appareil.');
  record.terminalId = terminalId;
  await write(record);
}

// The enrolled terminal's id, or null (no key, not enrolled, or no IndexedDB here).
export async function deviceTerminal() {
  try {
    const record = await read();
    return record && record.terminalId ? record.terminalId : null;
  } catch (_) {
    return null;
  }
}

// Signs the message (UTF-8) with the device key: ECDSA / SHA-256, r ‖ s, base64url.
export async function deviceSign(message) {
  const record = await read();
  if (!record) throw new Error('Aucune clé de poste sur cet appareil.');
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    record.privateKey,
    new TextEncoder().encode(message),
  );
  return base64url(signature);
}
