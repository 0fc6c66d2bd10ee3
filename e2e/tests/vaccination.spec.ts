import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { advanceClock, doctorTablet, expectAccessible, signInJeanMartin } from './helpers';

ownServer();

// A woman born in March 1984 (valid key): a patient no other test uses.
const NIR = '284037512345640';

async function searchNir(page: Page): Promise<void> {
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill(NIR);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('dose-form')).toBeVisible();
}

test('saisie : première dose d’un nouveau patient, deuxième dose à son retour, bilan imprimé', async ({ browser, context, page }) => {
  await doctorTablet(context, page);

  // A typo in the NIR is caught as it is typed, in French, and nothing is sent.
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill('284037512345641');
  await expect(page.getByText(/clé de contrôle/)).toBeVisible();
  await expect(page.getByTestId('nir-search')).toBeDisabled();

  // First dose of a new patient.
  await searchNir(page);
  await expect(page.getByText('Nouveau patient')).toBeVisible();
  await expectAccessible(page);
  await page.getByTestId('family-name').fill('Lefèvre');
  await page.getByTestId('given-names').fill('Chloé');
  await page.getByTestId('birth-date').fill('1984-03-12');
  await page.getByTestId('department').fill('75');
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');

  // A month later the patient comes back (the session has long expired: sign in again).
  await advanceClock(29 * 24 * 3600);
  await signInJeanMartin(page);
  await searchNir(page);
  await expect(page.getByTestId('patient-name')).toHaveText('Chloé LEFÈVRE');
  await expect(page.getByTestId('history').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('dose-form')).toContainText('dose 2/2');
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 2/2');

  // The recap: both doses, the certificate's QR and identifier; printing and the PDF.
  await page.getByTestId('open-bilan').click();
  await expect(page.getByTestId('recap-name')).toHaveText('Chloé LEFÈVRE');
  await expect(page.getByTestId('recap').locator('tbody tr')).toHaveCount(2);
  await expect(page.getByTestId('uvci')).toContainText('URN:UVCI:01:FR:');
  await expect(page.getByTestId('recap').locator('svg')).toBeVisible();
  await expectAccessible(page);
  await page.evaluate(() => {
    (window as unknown as { printed: boolean }).printed = false;
    window.print = () => {
      (window as unknown as { printed: boolean }).printed = true;
    };
  });
  await page.getByTestId('print').click();
  expect(await page.evaluate(() => (window as unknown as { printed: boolean }).printed)).toBe(true);
  const pdfHref = await page.getByTestId('pdf').getAttribute('href');
  const pdf = await page.request.get(pdfHref!);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-');

  // Anyone can check the certificate on the public page.
  const patientId = page.url().split('/').pop();
  const certificate = await (await page.request.get(`/api/patients/${patientId}/certificate`)).json();
  const visitor = await browser.newContext({ baseURL: process.env.VIGIE_BASE_URL, locale: 'fr-FR' });
  const check = await visitor.newPage();
  await check.goto('/verifier');
  await check.getByTestId('hc1').fill(certificate.payload);
  await check.getByTestId('verify').click();
  await expect(check.getByTestId('verified-name')).toHaveText('LEFÈVRE Chloé');
  await check.getByTestId('hc1').fill(certificate.payload.slice(0, -3) + 'AAA');
  await check.getByTestId('verify').click();
  await expect(check.getByTestId('verify-error')).toBeVisible();
  await visitor.close();
});
