// Push sign-in with code transfer: a tablet and a phone, two browser contexts, Chrome's
// virtual authenticator on the phone for PIN/biometrics.
import { expect, ownServer, test } from './fixtures';
import { activatedPhone, advanceClock, JEAN_MARTIN } from './helpers';

ownServer();

// Each test uses its own identity budget: the push limits (3 per 10 minutes) are real.
test.beforeEach(async () => {
  await advanceClock(15 * 60);
});

test('connexion par validation sur le téléphone, avec le code affiché sur la tablette', async ({ browser }) => {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await tablet.newPage();

  await phone.page.goto('/validation');
  await expect(phone.page.getByText('Aucune demande en attente')).toBeVisible();

  await tab.goto('/terminal');
  await tab.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  // While the phone validates, the tablet fetches the app of what opens next (dose entry).
  const prefetched = tab.waitForRequest((r) => /\/entry\/entry-[0-9a-f]{16}_bg\.wasm$/.test(r.url()));
  await tab.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  const code = (await tab.getByTestId('push-code').innerText()).replace(/\D/g, '');
  expect(code).toHaveLength(6);
  await expect(tab.getByTestId('push-qr').locator('svg')).toBeVisible();
  await prefetched;
  await expect(tab.locator('link[rel="prefetch"][href$="_bg.wasm"]')).toHaveCount(1);
  await expect(tab.locator('link[rel="prefetch"][href^="/entry/entry-"][href$=".js"]')).toHaveCount(1);

  // The request arrives live on the phone, with its context.
  const request = phone.page.getByTestId('pending-request');
  await expect(request).toBeVisible();
  await expect(request).toContainText('127.0.0.1');
  await request.getByLabel(/Code affiché sur le poste/).fill(code);
  await request.getByRole('button', { name: /Valider/ }).click();

  // The tablet is signed in, and says who.
  await expect(tab.getByRole('banner')).toContainText(JEAN_MARTIN.name, { timeout: 5_000 });
  // Dose entry (the entry app) opens, still signed in.
  await tab.goto('/vaccination');
  await expect(tab.getByRole('banner')).toContainText(JEAN_MARTIN.name);
  await expect(tab.getByRole('heading', { level: 1 })).toBeVisible();
  await tablet.close();
  await phone.context.close();
});

test('« Quitter l’authentification » sur le téléphone s’affiche sur la tablette en moins d’une seconde', async ({ browser }) => {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  const tablet = await browser.newContext();
  const tab = await tablet.newPage();
  await phone.page.goto('/validation');
  await tab.goto('/terminal');
  await tab.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await tab.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  await expect(tab.getByTestId('push-status')).toContainText('En attente');
  const request = phone.page.getByTestId('pending-request');
  await expect(request).toBeVisible();
  await request.getByRole('button', { name: /Quitter l.authentification/ }).click();
  await expect(tab.getByTestId('push-status')).toContainText('refusée', { timeout: 1_000 });
  await tablet.close();
  await phone.context.close();
});

test('« Ce n’est pas moi » bloque la demande suivante', async ({ browser }) => {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  const attacker = await browser.newContext();
  const att = await attacker.newPage();
  await phone.page.goto('/validation');
  await att.goto('/terminal');
  await att.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await att.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  const request = phone.page.getByTestId('pending-request');
  await expect(request).toBeVisible();
  await request.getByRole('button', { name: /Ce n.est pas moi/ }).click();
  // It asks first (in the page), then reports.
  await request.getByTestId('report-confirm').getByRole('button', { name: 'Confirmer' }).click();
  await expect(phone.page.getByText(/signalement/i)).toBeVisible();
  await expect(att.getByTestId('push-status')).toContainText('refusée');

  // The next request looks the same to the terminal, but never reaches the phone.
  await att.getByRole('button', { name: /Nouvelle demande|Recommencer/ }).click();
  await att.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await att.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  await expect(att.getByTestId('push-code')).toBeVisible();
  // The request exists (the terminal shows its code) and a request reaches the phone when it
  // is written: the phone's own list, asked now, says whether it did.
  const pending = await phone.page.evaluate(async () => (await fetch('/api/approver/requests')).json());
  expect(pending).toEqual([]);
  await expect(phone.page.getByTestId('pending-request')).toHaveCount(0);
  await attacker.close();
  await phone.context.close();
});
