import { expect, ownServer, test } from './fixtures';

ownServer();

test('la page d’accueil affiche l’état du service lu sur /api/health', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/Vigie/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
  await expect(page.getByTestId('health-status')).toContainText('Service opérationnel');
  await expect(page.getByTestId('health-database')).toContainText('disponible');
  await expect(page.getByTestId('health-version')).toContainText('0.1.0');
});

test('une adresse inconnue affiche la page introuvable', async ({ page }) => {
  await page.goto('/cette/page/nexiste/pas');
  await expect(page.getByRole('heading', { name: 'Page introuvable' })).toBeVisible();
  await page.getByRole('link', { name: /accueil/i }).click();
  await expect(page).toHaveURL(/\/$/);
});

test('la page reste lisible sur un téléphone de 360 px', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/');
  await expect(page.getByTestId('health-status')).toContainText('Service opérationnel');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
