// Offline entry on the tablet: the session's permit arrives while online; the network goes
// away; three patients are entered (one new, two returning whose files were opened online
// first); the page reloads without network and the queue is still there; the network comes
// back and the three entries land once, in order. A dose recorded meanwhile by another session
// for one of the returning patients makes that entry one to look at again ("À vérifier"). As
// a delegate, the same three kinds of entries reach the doctor's supervision screen once sent.
import { type BrowserContext, type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import {
  activatedPhone,
  addVirtualAuthenticator,
  doctorTablet,
  expectAccessible,
  JEAN_MARTIN,
  newPatientReady,
  parisWallClock,
  signInCentre,
} from './helpers';

ownServer();

// Valid NIR keys, patients no other spec uses.
const NEW_PATIENT = { nir: '179067511100134', familyName: 'Mercier', givenNames: 'Hugo', birthDate: '1979-06-14', department: '75' };
const RETURNING_A = { nir: '283107511100344', familyName: 'Roux', givenNames: 'Léa', birthDate: '1983-10-02', department: '75' };
const RETURNING_B = { nir: '168047711200169', familyName: 'Fabre', givenNames: 'Louis', birthDate: '1968-04-22', department: '77' };

/** A Paris time 40 days ago as the "Date et heure" field takes it: no interval warning later. */
function fortyDaysAgo(): string {
  return parisWallClock(new Date(Date.now() - 40 * 24 * 3600 * 1000)).replace(' ', 'T');
}

/** The keys of the device's offline store (IndexedDB). */
async function storedKeys(page: Page): Promise<string[]> {
  return page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const open = indexedDB.open('vigie-hors-ligne', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('donnees');
        open.onsuccess = () => {
          const keys = open.result.transaction('donnees').objectStore('donnees').getAllKeys();
          keys.onsuccess = () => {
            open.result.close();
            resolve(keys.result.map(String));
          };
          keys.onerror = () => resolve([]);
        };
        open.onerror = () => resolve([]);
      }),
  );
}

/** Every value of the device's offline store as raw text (an encrypted value's bytes as they lie),
 *  and whether each one is encrypted (an IV and its data, no text). */
async function storedValues(page: Page): Promise<{ raw: string; allEncrypted: boolean; count: number }> {
  return page.evaluate(
    () =>
      new Promise<{ raw: string; allEncrypted: boolean; count: number }>((resolve, reject) => {
        const open = indexedDB.open('vigie-hors-ligne', 1);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          let raw = '';
          let allEncrypted = true;
          let count = 0;
          const cursor = open.result.transaction('donnees').objectStore('donnees').openCursor();
          cursor.onerror = () => reject(cursor.error);
          cursor.onsuccess = () => {
            const at = cursor.result;
            if (!at) {
              open.result.close();
              resolve({ raw, allEncrypted, count });
              return;
            }
            if (at.key !== 'cle') {
              count += 1;
              const v = at.value as { iv?: Uint8Array; data?: ArrayBuffer };
              if (typeof at.value === 'string' || !v.iv || !(v.data instanceof ArrayBuffer)) {
                allEncrypted = false;
                raw += JSON.stringify(at.value);
              } else {
                raw += String.fromCharCode(...new Uint8Array(v.data));
              }
            }
            at.continue();
          };
        };
      }),
  );
}

/** The session's offline permit has reached the device (and the server issued it). */
async function permitArrived(page: Page): Promise<void> {
  await expect
    .poll(async () => (await (await page.request.get('/api/offline/permits')).json()).length, { timeout: 10_000 })
    .toBeGreaterThan(0);
  await expect.poll(async () => (await storedKeys(page)).sort(), { timeout: 10_000 }).toEqual(expect.arrayContaining(['autorisation', 'contexte']));
}

/** The service worker controls the page: it reloads without network. */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 15_000 });
}

/** A first dose, online, given 40 days ago. */
async function firstDose(page: Page, p: typeof NEW_PATIENT): Promise<void> {
  await newPatientReady(page, p);
  await page.locator('#quand').fill(fortyDaysAgo());
  await page.locator('#quand').dispatchEvent('change');
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');
}

/** Opens a patient's file by NIR (online: the device caches it for the permit's lifetime). */
async function openFile(page: Page, nir: string): Promise<void> {
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill(nir);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('patient-name')).toBeVisible();
  // Kept under a hash, never under the NIR.
  await expect.poll(async () => (await storedKeys(page)).filter((k) => k.startsWith('dossier:')).length).toBeGreaterThan(0);
  expect((await storedKeys(page)).join(' ')).not.toContain(nir);
}

/** The returning patient's next dose, the form prefilled from the cached history. */
async function returningDose(page: Page, nir: string, name: RegExp): Promise<void> {
  await page.getByTestId('nir').fill(nir);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('patient-name')).toHaveText(name);
  await expect(page.getByTestId('dose-form')).toContainText('dose 2/2');
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('queued')).toBeVisible();
  await page.getByTestId('next-patient').click();
}

/** A patient's injections as the server has them. */
async function injections(page: Page, nir: string): Promise<number> {
  const r = await page.request.post('/api/patients/lookup', {
    data: { nir },
    headers: { origin: new URL(process.env.VIGIE_BASE_URL as string).origin },
  });
  expect(r.status()).toBe(200);
  const found = await r.json();
  return found.patient ? found.patient.injections.length : 0;
}

test('hors ligne : trois patients, rechargement sans réseau, envoi dans l’ordre, conflit à vérifier', async ({ browser, context, page }) => {
  test.setTimeout(120_000);
  await doctorTablet(context, page);
  await permitArrived(page);
  await controlled(page);

  // Two returning patients: a first dose each, then their files opened online (cached).
  await firstDose(page, RETURNING_A);
  await firstDose(page, RETURNING_B);
  await openFile(page, RETURNING_A.nir);
  await openFile(page, RETURNING_B.nir);
  await expect.poll(async () => (await storedKeys(page)).filter((k) => k.startsWith('dossier:')).length).toBe(2);
  await page.goto('/vaccination');
  await expect(page.getByTestId('offline-banner')).toHaveCount(0);

  // Offline.
  await context.setOffline(true);
  await expect(page.getByTestId('offline-status')).toHaveText('Hors ligne — 0 saisies en attente');

  // A new patient: rank, product and lot worked out on the device.
  await newPatientReady(page, NEW_PATIENT, true);
  await expect(page.getByText('Nouveau patient')).toBeVisible();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('queued')).toContainText('Hugo MERCIER');
  await page.getByTestId('next-patient').click();
  // At rest on the device, the queued entry (NIR, name) and the cached files are not readable.
  const stored = await storedValues(page);
  expect(stored.count).toBeGreaterThanOrEqual(5);
  expect(stored.allEncrypted).toBe(true);
  for (const secret of [NEW_PATIENT.nir, RETURNING_A.nir, 'Mercier', 'MERCIER', 'Roux']) {
    expect(stored.raw).not.toContain(secret);
  }

  // Meanwhile, another session of the doctor (online) gives patient B a dose.
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const desk = await other.newPage();
  await doctorTablet(other, desk);
  await desk.getByTestId('nir').fill(RETURNING_B.nir);
  await desk.getByTestId('nir').press('Enter');
  await expect(desk.getByTestId('patient-name')).toBeVisible();
  await desk.getByTestId('eligible').check();
  await desk.getByTestId('consent').check();
  await expect(desk.getByTestId('lot')).not.toHaveValue('');
  await desk.getByTestId('save').click();
  await expect(desk.getByTestId('recorded')).toContainText('dose 2/2');
  await other.close();

  // The two returning patients, from their cached files.
  await returningDose(page, RETURNING_A.nir, /Léa ROUX/i);
  await returningDose(page, RETURNING_B.nir, /Louis FABRE/i);
  await expect(page.getByTestId('offline-status')).toHaveText('Hors ligne — 3 saisies en attente');
  await expect(page.getByTestId('offline-entry')).toHaveCount(3);
  await expect(page.getByTestId('offline-entry')).toHaveText([/MERCIER/, /ROUX/i, /FABRE/i]);
  await expect(page.getByTestId('offline-entry-state')).toHaveText(['en attente', 'en attente', 'en attente']);

  // A reload without network: the page comes from the service worker, the queue from the device.
  await page.reload();
  await expect(page.getByTestId('offline-status')).toHaveText('Hors ligne — 3 saisies en attente');
  await expect(page.getByTestId('offline-entry')).toHaveCount(3);
  await expect(page.getByTestId('offline-holder')).toContainText('Saisies par Dr Jean Martin');
  // On a 360 px phone the banner is visible without scrolling.
  await page.setViewportSize({ width: 360, height: 740 });
  await expect(page.getByTestId('offline-status')).toBeInViewport();
  await page.setViewportSize({ width: 1280, height: 800 });

  // The network is back: sent by itself, in order; B's history changed meanwhile.
  await context.setOffline(false);
  await expect(page.getByTestId('offline-entry-state')).toHaveText(
    ['enregistrée', 'enregistrée', /^enregistrée, à vérifier : .*Le dossier du patient a changé/],
    { timeout: 15_000 },
  );
  await expect(page.getByTestId('offline-entry')).toHaveText([/MERCIER/, /ROUX/i, /FABRE/i]);
  await expect(page.getByTestId('offline-status')).toContainText('0 saisies en attente');
  expect(await injections(page, NEW_PATIENT.nir)).toBe(1);
  expect(await injections(page, RETURNING_A.nir)).toBe(2);
  expect(await injections(page, RETURNING_B.nir)).toBe(3);

  // Sent again (a retry after a lost answer): nothing recorded twice.
  await page.reload();
  await expect(page.getByTestId('offline-entry')).toHaveCount(1);
  expect(await injections(page, RETURNING_A.nir)).toBe(2);

  // "À vérifier": the menu counts it; the page says why, where and when.
  const menuLink = page.getByTestId('site-nav').getByRole('link', { name: /À vérifier/ });
  await expect(menuLink).toHaveText('À vérifier (1)');
  await page.goto('/a-verifier');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Saisies hors ligne à vérifier');
  const item = page.getByTestId('review-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(/FABRE/i);
  await expect(item.getByTestId('review-reason').filter({ hasText: 'Le dossier du patient a changé' })).toHaveCount(1);
  await expect(item).toContainText('reçue le');
  await expectAccessible(page);
  await item.getByTestId('review-done').click();
  await expect(page.getByTestId('review-empty')).toBeVisible();

  // "Mes sessions" lists this device's permit; revoking it is confirmed in the page.
  await page.goto('/sessions');
  const permit = page.getByTestId('offline-permit').first();
  await expect(permit).toContainText(/\d+\/50 saisies/);
  await permit.getByRole('button', { name: 'Révoquer' }).click();
  await permit.getByTestId('permit-revoke').click();
  await expect(page.getByTestId('offline-permit').first()).toContainText('révoquée le');
});

test('hors ligne en saisie déléguée : les saisies envoyées arrivent sur la supervision du médecin', async ({ browser }) => {
  test.setTimeout(120_000);
  const contexts: BrowserContext[] = [];
  // Marie's passkey link, from the centre's account.
  const manager = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(manager);
  const desk = await manager.newPage();
  await signInCentre(desk);
  const marieRow = desk.getByTestId('managed-structure').getByTestId('staff-row').filter({ hasText: 'Marie Dupont' });
  await marieRow.getByRole('button', { name: /Nouveau lien de clé d.accès/ }).click();
  const link = (await desk.getByTestId('staff-enrolment-link').innerText()).trim();

  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  contexts.push(tablet);
  const tab = await tablet.newPage();
  await addVirtualAuthenticator(tablet, tab);
  await tab.goto(link);
  await tab.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(tab.getByTestId('activation-done')).toBeVisible();

  // The doctor's phone and his supervision screen.
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  contexts.push(phone.context);
  await phone.page.goto('/validation');
  const computer = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(computer);
  const screen = await computer.newPage();
  await doctorTablet(computer, screen);
  await screen.goto('/supervision');

  // Marie asks, the doctor approves on his phone.
  await tab.goto('/personnel');
  await tab.getByLabel('Numéro de carte CPE').fill('3001234567');
  await tab.getByRole('button', { name: /Se connecter avec ma clé d.accès/ }).click();
  await tab.getByRole('radio', { name: JEAN_MARTIN.name }).check();
  await tab.getByRole('button', { name: 'Demander la validation' }).click();
  const code = (await tab.getByTestId('push-code').innerText()).replace(/\D/g, '');
  const request = phone.page.getByTestId('pending-request');
  await request.getByLabel(/Code affiché sur le poste/).fill(code);
  await request.getByRole('button', { name: 'Valider' }).click();
  await expect(tab).toHaveURL(/\/vaccination$/);
  await permitArrived(tab);
  await controlled(tab);

  // Two patients she vaccinated before, online: their files opened, so cached on the tablet.
  const returningC = { nir: '291037511100226', familyName: 'Perrin', givenNames: 'Julie', birthDate: '1991-03-17', department: '75' };
  const returningD = { nir: '172086911100384', familyName: 'Marchand', givenNames: 'Eric', birthDate: '1972-08-05', department: '69' };
  await firstDose(tab, returningC);
  await firstDose(tab, returningD);
  await openFile(tab, returningC.nir);
  await openFile(tab, returningD.nir);
  await tab.goto('/vaccination');

  // Offline, she enters a new patient and the two returning ones; reloads; the network comes
  // back.
  await tablet.setOffline(true);
  const patient = { nir: '254087511200147', familyName: 'Girard', givenNames: 'Anne', birthDate: '1954-08-30', department: '75' };
  await newPatientReady(tab, patient, true);
  await tab.getByTestId('save').click();
  await expect(tab.getByTestId('queued')).toBeVisible();
  await tab.getByTestId('next-patient').click();
  await returningDose(tab, returningC.nir, /Julie PERRIN/i);
  await returningDose(tab, returningD.nir, /Eric MARCHAND/i);
  await tab.reload();
  await expect(tab.getByTestId('offline-status')).toHaveText('Hors ligne — 3 saisies en attente');
  // Offline after a reload, the banner still says who typed under whose authority (from the
  // permit).
  await expect(tab.getByTestId('offline-holder')).toContainText('Marie Dupont sous la responsabilité du Dr Jean Martin');
  await tablet.setOffline(false);
  await expect(tab.getByTestId('offline-entry-state')).toHaveText(['enregistrée', 'enregistrée', 'enregistrée'], { timeout: 15_000 });
  await expect(tab.getByTestId('offline-entry')).toHaveText([/GIRARD/i, /PERRIN/i, /MARCHAND/i]);

  // They reach the doctor's supervision screen, each once (the returning ones next to their
  // first dose).
  const session = screen.getByTestId('delegated-session').filter({ hasText: 'Marie Dupont' });
  const entries = session.getByTestId('delegated-entry');
  await expect(entries.filter({ hasText: /GIRARD/i })).toHaveCount(1, { timeout: 10_000 });
  await expect(entries.filter({ hasText: /PERRIN/i })).toHaveCount(2);
  await expect(entries.filter({ hasText: /MARCHAND/i })).toHaveCount(2);

  for (const c of contexts) await c.close();
});
