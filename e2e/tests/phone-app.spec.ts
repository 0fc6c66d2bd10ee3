// The phone as an installed app: its service worker (offline start, Web Push delivered through
// the DevTools protocol), the request card at 360×640, and "Ce n'est pas moi" with its
// confirmation. The phone is Chrome with a virtual authenticator (tests/helpers.ts).
import type { BrowserContext, Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { activatedPhone, advanceClock, collectErrors, expectAccessible, JEAN_MARTIN } from './helpers';

ownServer();

// Each test uses its own identity budget: the push limits (3 per 10 minutes) are real, and a
// request left pending (1 per identity) expires meanwhile.
test.beforeEach(async () => {
  await advanceClock(15 * 60);
});

/** A sign-in request for Jean Martin, as a terminal makes it; its id and code. */
async function signInRequest(): Promise<{ id: string; code: string }> {
  const r = await fetch(`${process.env.VIGIE_BASE_URL}/api/approvals`, {
    method: 'POST',
    // As from Vigie's own terminal page (changes from elsewhere are refused).
    headers: { 'content-type': 'application/json', origin: process.env.VIGIE_BASE_URL! },
    body: JSON.stringify({ national_id: JEAN_MARTIN.nationalId, terminal_label: 'Tablette du hall' }),
  });
  expect(r.status).toBe(200);
  const created = await r.json();
  return { id: created.approval_id, code: created.code };
}

/** The page is controlled by the phone's service worker. */
async function controlled(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 10_000 });
}

/** What the phone's list holds on the server, asked now. */
async function pendingIds(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const list = await (await fetch('/api/approver/requests')).json();
    return list.map((r: { approval_id: string }) => r.approval_id);
  });
}

async function phoneOn(browser: import('@playwright/test').Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  const errors = collectErrors(phone.page);
  await phone.page.goto('/validation');
  return { ...phone, errors };
}

test('installée : le service worker contrôle /validation, hors ligne la page démarre encore', async ({ browser }) => {
  const { context, page, errors } = await phoneOn(browser);
  // Its own header names the phone's owner.
  await expect(page.getByRole('banner')).toContainText(`Téléphone de ${JEAN_MARTIN.name}`);
  await expect(page.getByTestId('no-request')).toBeVisible();
  await controlled(page);
  // Notifications are offered, never asked for without a tap.
  await expect(page.getByTestId('push-card').getByRole('button', { name: 'Activer les notifications' })).toBeVisible();
  expect(await page.evaluate(() => Notification.permission)).toBe('default');
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  expect(new URL(scope).pathname).toBe('/');
  // The manifest installs the phone's page, with PNG icons (a maskable one).
  const manifest = await page.evaluate(async () => (await fetch('/manifest.webmanifest')).json());
  expect(manifest.start_url).toBe('/validation');
  expect(manifest.display).toBe('standalone');
  for (const size of ['192x192', '512x512']) {
    expect(manifest.icons.some((i: { sizes: string; type: string }) => i.sizes === size && i.type === 'image/png')).toBe(true);
  }
  expect(manifest.icons.some((i: { purpose: string }) => i.purpose === 'maskable')).toBe(true);
  expect(errors).toEqual([]);

  // Offline: the shell comes from the cache (the API cannot answer: the page says so).
  await context.setOffline(true);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Validation des connexions');
  await expect(page.getByTestId('validation-error')).toBeVisible();

  // The shell not cached (only the offline page left): the offline page, in French.
  await page.evaluate(async () => {
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      for (const entry of await cache.keys()) {
        if (!entry.url.endsWith('/offline.html')) await cache.delete(entry);
      }
    }
  });
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pas de connexion Internet');
  await context.setOffline(false);
  await context.close();
});

test('notification : sans nom ni code, elle ouvre la demande (message au page ouverte, puis ?demande=)', async ({ browser, baseURL }) => {
  const { context, page, errors } = await phoneOn(browser);
  await context.grantPermissions(['notifications'], { origin: baseURL });
  await controlled(page);

  // The registration's id, as DevTools knows it.
  const cdp = await context.newCDPSession(page);
  const registrationId = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r) => !r.isDeleted && r.scopeURL === `${baseURL}/`);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');

  const request = await signInRequest();
  const card = page.getByTestId('pending-request');
  await expect(card).toBeVisible();
  await expect(card.getByTestId('request-sentence')).toHaveText(/^Quelqu'un demande à se connecter en votre nom sur « .+ »$/);
  const facts = await card.innerText();

  const deliver = async () =>
    cdp.send('ServiceWorker.deliverPushMessage', {
      origin: baseURL!,
      registrationId: await registrationId,
      data: JSON.stringify({ kind: 'approval_request', approval_id: request.id }),
    });
  await deliver();
  const notifications = async () =>
    page.evaluate(async () =>
      (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
        title: n.title,
        body: n.body,
        tag: n.tag,
        url: n.data?.url,
        requireInteraction: n.requireInteraction,
      })),
    );
  // DevTools sometimes drops a delivery made while the worker is being woken: delivered again
  // until shown (the same tag replaces, so two deliveries still show one notification).
  await expect
    .poll(
      async () => {
        const shown = (await notifications()).length;
        if (shown === 0) await deliver();
        return shown;
      },
      { timeout: 15_000, intervals: [2_000] },
    )
    .toBe(1);
  const [shown] = await notifications();
  expect(shown).toEqual({
    title: 'Vigie',
    body: 'Une demande de connexion attend votre validation.',
    tag: request.id,
    url: `/validation?demande=${request.id}`,
    requireInteraction: true,
  });
  // Nothing of who, where or the code.
  const text = `${shown.title} ${shown.body}`;
  for (const secret of [JEAN_MARTIN.name, 'Martin', request.code, 'Tablette', '127.0.0.1']) {
    expect(text).not.toContain(secret);
  }
  expect(facts).toContain('127.0.0.1');

  // The tap (the worker's notificationclick path): the open page is told, and the request's
  // code field takes the focus.
  await page.getByRole('heading', { level: 1 }).focus();
  const [worker] = context.serviceWorkers();
  await worker.evaluate((id) => (self as unknown as { openRequest: (id: string) => Promise<unknown> }).openRequest(id), request.id);
  await expect(card.getByLabel('Code affiché sur le poste')).toBeFocused();

  // No page open: the notification's address opens it on the request, which leaves the address.
  const other = await context.newPage();
  const otherErrors = collectErrors(other);
  await other.goto(`/validation?demande=${request.id}`);
  await expect(other.getByTestId('pending-request').getByLabel('Code affiché sur le poste')).toBeFocused();
  await expect(other).toHaveURL(/\/validation$/);
  // A request decided meanwhile: said so, nothing to look for.
  await other.goto('/validation?demande=7c9e6679-7425-40de-944b-e07fc1f90ae7');
  await expect(other.getByTestId('validation-notice')).toHaveText('Cette demande n\'est plus en attente.');
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
  await context.close();
});

test('téléphone 360×640 : la phrase, le code et « Valider » tiennent dans le premier écran', async ({ browser }) => {
  const { context, page, errors } = await phoneOn(browser);
  await page.setViewportSize({ width: 360, height: 640 });
  const request = await signInRequest();
  const card = page.getByTestId('pending-request');
  await expect(card).toBeVisible();
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  for (const target of [
    card.getByTestId('request-sentence'),
    card.getByLabel('Code affiché sur le poste'),
    card.getByRole('button', { name: 'Valider' }),
  ]) {
    const box = await target.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(640);
  }
  await expectAccessible(page);
  expect(errors).toEqual([]);

  // A wrong code: the message next to the field, tied to it, announced.
  const field = card.getByLabel('Code affiché sur le poste');
  await field.fill(request.code === '000000' ? '111111' : '000000');
  await card.getByRole('button', { name: 'Valider' }).click();
  const error = card.getByTestId('request-error');
  await expect(error).not.toBeEmpty();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  expect(await field.getAttribute('aria-describedby')).toBe(await error.getAttribute('id'));
  await expect(error).toBeInViewport();
  // "Quitter l'authentification" keeps its wording and says what it does.
  await expect(card.getByRole('button', { name: 'Quitter l\'authentification' })).toHaveAccessibleDescription('refuse cette demande');
  // The console's only line: the server's 400 for the wrong code.
  expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
  await context.close();
});

test('nouvelle version : « Nouvelle version disponible — Recharger », puis elle prend la main', async ({ browser }) => {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  // The next build, as the browser will see it: the same worker with other bytes.
  let build = '';
  await phone.context.route('**/sw.js', async (route) => {
    const original = await route.fetch();
    await route.fulfill({ response: original, body: `${await original.text()}\n// ${build}\n` });
  });
  const errors = collectErrors(phone.page);
  await phone.page.goto('/validation');
  await controlled(phone.page);
  await expect(phone.page.getByTestId('update-banner')).toHaveCount(0);

  build = 'suivante';
  await phone.page.evaluate(async () => (await navigator.serviceWorker.ready).update());
  const banner = phone.page.getByTestId('update-banner');
  await expect(banner).toContainText('Nouvelle version disponible');
  // It waits: the page keeps its worker until the tap.
  expect(await phone.page.evaluate(async () => (await navigator.serviceWorker.ready).waiting !== null)).toBe(true);
  await Promise.all([phone.page.waitForEvent('load'), banner.getByRole('button', { name: 'Recharger' }).click()]);
  await expect(phone.page.getByTestId('no-request')).toBeVisible();
  await expect(phone.page.getByTestId('update-banner')).toHaveCount(0);
  expect(await phone.page.evaluate(async () => (await navigator.serviceWorker.ready).waiting)).toBeNull();
  expect(errors).toEqual([]);
  await phone.context.close();
});

// Last: the report suspends push sign-in of Jean Martin for 24 hours.
test('« Ce n\'est pas moi » demande confirmation : Annuler garde la demande, Confirmer la signale', async ({ browser }) => {
  const { context, page, errors } = await phoneOn(browser);
  const request = await signInRequest();
  const card = page.getByTestId('pending-request');
  await expect(card).toBeVisible();

  // The first tap only asks, and says what confirming does.
  await card.getByRole('button', { name: 'Ce n\'est pas moi' }).click();
  const confirm = card.getByTestId('report-confirm');
  await expect(confirm).toContainText(
    'La demande est refusée, la connexion par téléphone est suspendue 24 h pour votre identifiant et l\'équipe sécurité est prévenue',
  );
  expect(await pendingIds(page)).toEqual([request.id]);

  await confirm.getByRole('button', { name: 'Annuler' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(card.getByRole('button', { name: 'Ce n\'est pas moi' })).toBeFocused();
  expect(await pendingIds(page)).toEqual([request.id]);

  await card.getByRole('button', { name: 'Ce n\'est pas moi' }).click();
  await card.getByTestId('report-confirm').getByRole('button', { name: 'Confirmer' }).click();
  await expect(page.getByTestId('validation-notice')).toContainText('signalement');
  await expect(page.getByTestId('pending-request')).toHaveCount(0);
  expect(await pendingIds(page)).toEqual([]);

  // The suspension is explained at the top: until when, why, what still works.
  const frozen = page.getByTestId('push-frozen');
  await expect(frozen).toContainText('Connexion par téléphone suspendue jusqu\'au');
  await expect(frozen).toContainText('Ce n\'est pas moi');
  await expect(frozen).toContainText('clé d\'accès');
  await page.reload();
  await expect(page.getByTestId('push-frozen')).toBeVisible();
  expect(errors).toEqual([]);
  await context.close();
});
