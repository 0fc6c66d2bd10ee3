import { expect, ownServer, test } from './fixtures';
import { doctorTablet, expectAccessible } from './helpers';

ownServer();

// A woman born on 15 June, 25 years ago (24 until mid-June): under 30 either way.
const YEAR = new Date().getFullYear() - 25;
const BIRTH = `${YEAR}-06-15`;

/** A valid NIR (key = 97 − body mod 97) for a woman born in June `year`: no other spec uses it. */
function nir(year: number): string {
  const body = `2${String(year % 100).padStart(2, '0')}0677118452`;
  const key = 97n - (BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

test('choix du vaccin : aucun avant la date de naissance, Comirnaty avant 30 ans, Spikevax à confirmer', async ({ context, page }) => {
  await doctorTablet(context, page);
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill(nir(YEAR));
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByText('Nouveau patient')).toBeVisible();

  // No birth date yet: no vaccine, no lot.
  const product = page.getByTestId('product');
  const lot = page.getByTestId('lot');
  await expect(product).toHaveValue('');
  await expect(product).toBeDisabled();
  await expect(product.locator('option:checked')).toHaveText(/date de naissance/);
  await expect(lot).toHaveValue('');
  await page.getByTestId('family-name').fill('Marchand');
  await page.getByTestId('given-names').fill('Inès');
  await page.getByTestId('department').fill('77');
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await expect(product).toHaveValue('');
  await expect(page.getByTestId('save')).toBeDisabled();

  // Born in the future: refused in French, nothing proposed, nothing to confirm or save.
  await page.getByTestId('birth-date').fill(`${YEAR + 30}-06-15`);
  await expect(page.getByTestId('preview-error')).toContainText('futur');
  await expect(product).toHaveValue('');
  await expect(lot).toHaveValue('');
  await expect(page.getByTestId('confirm-warning')).toHaveCount(0);
  await expect(page.getByTestId('save')).toBeDisabled();

  // The real birth date: Comirnaty (HAS, under 30) and its lot of the day.
  await page.getByTestId('birth-date').fill(BIRTH);
  await expect(page.getByTestId('preview-error')).toHaveCount(0);
  await expect(product).toHaveValue('comirnaty');
  await expect(lot.locator('option:checked')).toContainText('GH7425');
  await expect(page.getByTestId('confirm-warning')).toHaveCount(0);
  await expect(page.getByTestId('save')).toBeEnabled();
  await expectAccessible(page);

  // Spikevax chosen by hand: its lot, and the recommendation to confirm before saving.
  await product.selectOption('spikevax');
  await expect(lot.locator('option:checked')).toContainText('3004217');
  await expect(page.getByRole('alert').filter({ hasText: 'Spikevax' })).toContainText(
    /n'est pas recommandé avant 30 ans \(HAS, avis du 8 novembre 2021\), Comirnaty est à privilégier/,
  );
  await expect(page.getByTestId('save')).toBeDisabled();
  await page.getByTestId('confirm-warning').check();
  await expect(page.getByTestId('save')).toBeEnabled();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('Spikevax dose 1/2 (lot 3004217)');
});
