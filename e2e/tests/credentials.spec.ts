import { expect, ownServer, test } from './fixtures';
import { addVirtualAuthenticator, appLoaded, enrolmentLink, expectAccessible, JEAN_MARTIN, signInJeanMartin } from './helpers';

ownServer();

test('« Mes appareils » : une clé d’accès retirée ne permet plus de se connecter', async ({ browser }) => {
  // Two browsers, each with its own passkey of Dr Jean Martin.
  const computer = await browser.newContext();
  const page = await computer.newPage();
  await addVirtualAuthenticator(computer, page);
  await page.goto(await enrolmentLink(JEAN_MARTIN.nationalId));
  await page.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(page.getByTestId('activation-done')).toBeVisible();

  const lost = await browser.newContext({ viewport: { width: 360, height: 780 } });
  const lostPage = await lost.newPage();
  await addVirtualAuthenticator(lost, lostPage);
  await lostPage.goto(await enrolmentLink(JEAN_MARTIN.nationalId));
  await lostPage.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(lostPage.getByTestId('activation-done')).toBeVisible();
  await signInJeanMartin(lostPage);

  // On the lost device's own screen (360 px): the menu leads to « Mes appareils ».
  await lostPage.goto('/appareils');
  await expect(lostPage.getByRole('heading', { level: 1, name: 'Mes appareils' })).toBeVisible();
  const rows = lostPage.getByTestId('device-row');
  // Two passkeys and the two browsers activated as phones.
  await expect(rows).toHaveCount(4);
  await expect(lostPage.getByText(/Ajoutée le \d\d\/\d\d\/\d{4}/).first()).toBeVisible();
  await expectAccessible(lostPage);

  // From the computer: sign in, remove the other browser's passkey (the one not in use here).
  await signInJeanMartin(page);
  await page.goto('/appareils');
  const other = page
    .getByTestId('device-row')
    .filter({ has: page.getByTestId('device-kind').getByText("Clé d'accès", { exact: true }) })
    .filter({ hasNotText: '(cet appareil)' });
  await expect(other).toHaveCount(1);
  await other.getByTestId('device-remove').click();
  // An in-page confirmation, then the removal.
  await expect(other.getByText('Retirer cet appareil ?')).toBeVisible();
  await other.getByTestId('device-remove-confirm').click();
  await expect(page.getByTestId('devices-notice')).toContainText('ne permet plus de se connecter');
  await expect(page.getByTestId('device-row')).toHaveCount(3);

  // The lost browser can no longer sign in with its passkey: the server no longer names it,
  // and its authenticator has nothing to sign with.
  await lostPage.getByRole('button', { name: 'Se déconnecter' }).click();
  // Signing out leads to /connexion, a page of the hall app: a full page load, awaited before
  // typing (a navigation of our own would race with it).
  await appLoaded(lostPage, 'hall');
  await expect(lostPage).toHaveURL(/\/connexion$/);
  await lostPage.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await lostPage.getByRole('button', { name: /Se connecter avec ma clé/ }).click();
  await expect(lostPage.getByTestId('sign-in-error')).toBeVisible({ timeout: 25_000 });
  await expect(lostPage.getByRole('banner')).not.toContainText(JEAN_MARTIN.name);

  // The computer's own key still signs in.
  await page.goto('/connexion');
  await signInJeanMartin(page);
  await computer.close();
  await lost.close();
});
