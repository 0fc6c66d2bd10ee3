// A practitioner on the move: declares an exercise outside any structure with its own stock,
// adds a counted lot, vaccinates at a patient's home (the place is asked for, and refused when
// missing), then finds the place on the recap and the stock counted down, a loss declared too.
import { expect, ownServer, test } from './fixtures';
import { collectErrors, doctorTablet, expectAccessible, newPatientReady, parisDay, validNir } from './helpers';

ownServer();

test('hors structure : stock personnel compté, vaccination au domicile du patient, lieu sur le bilan', async ({ context, page }) => {
  const errors = collectErrors(page);
  await doctorTablet(context, page);

  // His own practice, then a lot of six doses in his own stock (listed after the centre's).
  await page.goto('/lots');
  await page.locator('#own-address').fill('12 rue des Lilas, 77000 Melun');
  await page.getByRole('button', { name: 'Déclarer mon exercice hors structure' }).click();
  await expect(page.getByRole('heading', { name: 'Mon stock personnel (hors structure)' })).toBeVisible();
  await page.locator('#s2-lot-numero').fill('PERSO-01');
  await page.locator('#s2-lot-peremption').fill(parisDay(120));
  await page.locator('#s2-lot-doses').fill('6');
  await page.getByRole('button', { name: 'Ajouter le lot' }).nth(1).click();
  const ownLot = page.getByTestId('lot').filter({ hasText: 'PERSO-01' });
  await expect(ownLot).toContainText('6 dose(s) restante(s) sur 6');
  await expectAccessible(page);

  // At the patient's home: the place is asked for under his own practice.
  await page.goto('/vaccination');
  const own = await page.locator('#structure option', { hasText: 'hors structure' }).getAttribute('value');
  await page.locator('#structure').selectOption(own!);
  // A man born in June 1985 in Paris.
  const patient = validNir('1850675123457');
  await newPatientReady(page, { nir: patient, familyName: 'Lefort', givenNames: 'Paul', birthDate: '1985-06-11', department: '77' }, true);
  await expect(page.getByTestId('place')).toBeVisible();
  await expect(page.getByTestId('lot').locator('option:checked')).toContainText('PERSO-01');
  // Missing, the place greys the button and says so.
  await expect(page.getByTestId('save')).toBeDisabled();
  await expect(page.getByTestId('save-hint')).toHaveText('Il manque : lieu de la vaccination.');
  await page.getByLabel('Au domicile du patient').check();

  // A reload brings the form back as typed: under his own practice, the place still chosen.
  page.once('dialog', (dialog) => void dialog.accept());
  await page.reload();
  await expect(page.getByTestId('dose-form')).toBeVisible();
  await expect(page.locator('#structure')).toHaveValue(own!);
  await expect(page.getByLabel('Au domicile du patient')).toBeChecked();
  await expect(page.getByTestId('family-name')).toHaveValue('Lefort');
  await expect(page.getByTestId('lot').locator('option:checked')).toContainText('PERSO-01');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');

  // The recap names the place, and the practitioner answers for the dose.
  await page.getByTestId('open-bilan').click();
  const row = page.getByTestId('recap').locator('tbody tr').first();
  await expect(row.locator('td[data-label="Lieu"]')).toContainText('Au domicile du patient');
  await expect(row.locator('td[data-label="Vaccinateur"]')).toContainText('Jean Martin');
  await expect(page.locator('.certificate .qr svg')).toBeVisible();

  // One dose taken from his stock; two lost, declared.
  await page.goto('/lots');
  await expect(ownLot).toContainText('5 dose(s) restante(s) sur 6');
  await ownLot.getByLabel('Doses perdues').fill('2');
  await ownLot.getByRole('button', { name: 'Déclarer la perte' }).click();
  await expect(ownLot).toContainText('3 dose(s) restante(s) sur 6');
  expect(errors).toEqual([]);
});
