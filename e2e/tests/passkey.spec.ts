import { expect, ownServer, test } from './fixtures';
import { addVirtualAuthenticator, appLoaded, enrolmentLinkFromCli, JEAN_MARTIN } from './helpers';

ownServer();

test('création d’une clé d’accès puis connexion, avec l’authentificateur virtuel de Chrome', async ({ context, page }) => {
  const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

  // Activation: the single-use link carries the token in its fragment.
  // The operator command, as the README shows it (this test runs before any clock move).
  const link = enrolmentLinkFromCli(JEAN_MARTIN.nationalId);
  expect(link).toContain('/activation#jeton=');
  await page.goto(link);
  await expect(page).not.toHaveURL(/jeton=/); // the token leaves the address bar
  await page.getByRole('button', { name: 'Créer ma clé d’accès' }).or(page.getByRole('button', { name: "Créer ma clé d'accès" })).click();
  await expect(page.getByTestId('activation-done')).toBeVisible();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(credentials).toHaveLength(1);

  // Sign-in with that passkey: user verification is required and performed.
  await page.goto('/connexion');
  await page.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await page.getByRole('button', { name: /Se connecter avec ma clé/ }).click();
  await expect(page.getByRole('banner')).toContainText(JEAN_MARTIN.name);
  // Signed in, the tablet moves on to dose entry (another app, a page load): reloading before
  // it has arrived would race that load.
  await expect(page).toHaveURL(/\/vaccination$/);
  await appLoaded(page, 'entry');
  const after = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  expect(after.credentials[0].signCount).toBeGreaterThan(credentials[0].signCount);

  // The session is server-side: reloading keeps it, logging out ends it.
  await page.reload();
  await expect(page.getByRole('banner')).toContainText(JEAN_MARTIN.name);
});

test('un identifiant mal formé ne quitte pas l’appareil', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/connexion');
  await page.getByLabel(/Identifiant national/).fill('810003456781');
  await expect(page.getByText(/clé de contrôle/)).toBeVisible();
  await expect(page.getByRole('button', { name: /Se connecter avec ma clé/ })).toBeDisabled();
  expect(requests.filter((u) => u.includes('/api/passkeys'))).toHaveLength(0);
});
