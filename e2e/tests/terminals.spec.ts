// Enrolled terminals: the centre's manager, signed in on the hall tablet, enrols it (a
// non-extractable WebCrypto key kept in IndexedDB); a push sign-in from that tablet is named on
// the phone as a registered terminal of the centre, one from any other browser "Poste inconnu".
import { expect, ownServer, test } from './fixtures';
import { activatedPhone, advanceClock, CENTRE_ACCOUNT, enrolledTerminal, JEAN_MARTIN, signInCentre } from './helpers';

ownServer();

// The push limits (3 per 10 minutes per identity) are real.
test.beforeEach(async () => {
  await advanceClock(15 * 60);
});

test('la tablette enregistrée est nommée sur le téléphone, un autre poste y est « Poste inconnu »', async ({ browser }) => {
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await tablet.newPage();
  await signInCentre(tab);
  const section = tab.getByTestId('enrolled-terminals');
  await expect(section).toContainText('Aucun poste enregistré');
  await section.getByLabel('Nom de ce poste').fill('Tablette 3');
  await section.getByRole('button', { name: 'Enregistrer ce poste' }).click();
  await expect(section).toContainText(`Ce poste est enregistré : « Tablette 3 » — ${CENTRE_ACCOUNT.structure}.`);
  await expect(section.getByTestId('enrolled-terminal')).toContainText('Tablette 3 (cet appareil)');

  // The private key stays in the browser: IndexedDB holds a CryptoKey that cannot be exported.
  const extractable = await tab.evaluate(
    () =>
      new Promise<boolean>((resolve, reject) => {
        const open = indexedDB.open('vigie-poste');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('cle').objectStore('cle').get('poste');
          get.onsuccess = () => resolve((get.result.privateKey as CryptoKey).extractable);
          get.onerror = () => reject(get.error);
        };
      }),
  );
  expect(extractable).toBe(false);

  // The manager signs out; the tablet stays enrolled, and says so.
  await tab.evaluate(() => fetch('/api/session/logout', { method: 'POST' }));
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  await phone.page.goto('/validation');
  await tab.goto('/terminal');
  await expect(tab.getByTestId('terminal-badge')).toHaveText(`Poste enregistré : Tablette 3 — ${CENTRE_ACCOUNT.structure}`);
  await tab.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await tab.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  await expect(tab.getByTestId('push-code')).toBeVisible();

  const request = phone.page.getByTestId('pending-request');
  await expect(request).toContainText('Tablette 3');
  await expect(request).toContainText(/poste enregistré/i);
  await expect(request).not.toContainText('Poste inconnu');
  await tab.getByRole('button', { name: 'Annuler la demande' }).click();
  await expect(request).toHaveCount(0);

  // Any other browser, whatever name is typed on it: unknown, and said so on both sides.
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await elsewhere.goto('/terminal');
  await expect(elsewhere.getByTestId('terminal-badge')).toHaveText('Poste non enregistré');
  await elsewhere.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await elsewhere.getByLabel(/Nom de ce poste/).fill('Tablette 3');
  await elsewhere.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  await expect(elsewhere.getByTestId('push-code')).toBeVisible();
  await expect(request).toContainText('Poste inconnu');
  await expect(request).not.toContainText(/poste enregistré/i);
  await expect(request.getByTestId('atypical')).toBeVisible();

  await other.close();
  await tablet.close();
  await phone.context.close();
});

test('une demande signée hors navigateur par un poste enregistré (aide des tests) est nommée sur le téléphone', async ({ browser }) => {
  const terminal = await enrolledTerminal('Tablette 4');
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  await phone.page.goto('/validation');
  await terminal.ask(JEAN_MARTIN.nationalId);
  const request = phone.page.getByTestId('pending-request');
  await expect(request).toContainText(`Tablette 4 — ${CENTRE_ACCOUNT.structure} (poste enregistré)`);
  await expect(request).not.toContainText('Poste inconnu');
  await phone.context.close();
});
