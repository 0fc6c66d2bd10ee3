// The live session header: who, time left, the warning 5 minutes before the idle limit,
// "Rester connecté", and expiry — with the server's injectable clock instead of waiting.
import { expect, ownServer, test } from './fixtures';
import { activatedPhone, advanceClock, JEAN_MARTIN } from './helpers';

ownServer();

test('bandeau de session, avertissement avant expiration et « Rester connecté »', async ({ browser }) => {
  // The phone's passkey signs in directly on the phone.
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  const page = phone.page;
  await page.goto('/connexion');
  await page.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await page.getByRole('button', { name: /Se connecter avec ma clé/ }).click();
  const banner = page.getByRole('banner');
  await expect(banner).toContainText(JEAN_MARTIN.name);
  await expect(banner).toContainText(/min/);

  // 56 minutes without activity: the warning shows, with "Rester connecté".
  await advanceClock(56 * 60);
  await page.reload();
  await expect(page.getByRole('alert')).toContainText(/expire|déconnect/i);
  await page.getByRole('button', { name: 'Rester connecté' }).click();
  await expect(page.getByRole('alert')).toHaveCount(0);

  // 61 minutes more: the session is over, the header says so.
  await advanceClock(61 * 60);
  await page.reload();
  await expect(banner).not.toContainText(JEAN_MARTIN.name);
  await expect(banner).toContainText(/Se connecter/);
  await phone.context.close();
});
