// Correcting a dose just recorded (within 24 h, with a reason), from the recap the entry screen
// links to: its lot — another usable lot of the same vaccine in the structure — and its time,
// typed as Paris time on the date typed. A refusal comes back in the server's French words; the
// correction shows at once, on the recap and in the API.
import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { doctorTablet, newPatientReady, parisDay, parisWallClock, validNir } from './helpers';

ownServer();

// A phone: the correction form must fit 360 pixels too.
test.use({ viewport: { width: 360, height: 740 } });

/** A valid NIR for a woman born in April 1975 in Paris. */
function nir(): string {
  return validNir('2750475123456');
}

/** "YYYY-MM-DD" as the app shows it: "DD/MM/YYYY". */
function shown(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

/** An instant as Paris wall-clock time, "YYYY-MM-DD HH:MM". */
function inParis(at: string): string {
  return parisWallClock(new Date(at));
}

/** A lot added on the lots page (the entry form reads the lots when it opens). */
async function addLot(page: Page, product: string, number: string): Promise<void> {
  await page.locator('#lot-vaccin').selectOption(product);
  await page.locator('#lot-numero').fill(number);
  await page.locator('#lot-peremption').fill(parisDay(365));
  await page.locator('#lot-doses').fill('500');
  await page.getByRole('button', { name: 'Ajouter le lot' }).click();
  await expect(page.getByTestId('lots')).toContainText(number);
}

test('correction du lot et de l’heure d’une dose, avec un motif ; refus expliqué ; bilan et API à jour', async ({ context, page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    // The refusal asked for below, and only it, is a failed request the browser reports.
    const refused = /\/api\/injections\/[^/]+\/correct$/.test(message.location().url) && message.text().includes('400');
    if (message.type() === 'error' && !refused) errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  await doctorTablet(context, page);

  // A second lot of each vaccine of the day: whichever the dose uses, another one exists.
  await page.goto('/lots');
  await addLot(page, 'comirnaty', 'CORR-C1');
  await addLot(page, 'spikevax', 'CORR-S1');

  await newPatientReady(page, { nir: nir(), familyName: 'Correcte', givenNames: 'Anne', birthDate: '1975-04-20', department: '75' });
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');

  // The dose just recorded links to its correction form, on the recap (opened there).
  const recordedLine = page.getByTestId('recorded-injection').getByTestId('injection');
  const lotBefore = (await recordedLine.getByTestId('injection-lot').innerText()).replace(/^lot /, '');
  await recordedLine.getByTestId('to-correction').click();
  const injection = page.getByTestId('bilan-doses').getByTestId('injection');
  await expect(injection.getByTestId('correction')).toHaveAttribute('open', '');
  const time = injection.getByTestId('correction-time');
  await expect(time).toHaveValue(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
  const lot = injection.getByTestId('correction-lot');
  await expect(lot).toHaveValue('');
  await expect(lot.locator('option').first()).toHaveText(`${lotBefore} (inchangé)`);
  // Only the other lot of the same vaccine (the day's, or the one added).
  await expect(lot.locator('option')).toHaveCount(2);
  const newLot = (await lot.locator('option').nth(1).innerText()).split(' ')[0];
  expect(['GH7425', 'CORR-C1', '3004217', 'CORR-S1']).toContain(newLot);
  expect(newLot).not.toBe(lotBefore);

  // No reason, no correction.
  const save = injection.getByTestId('correction-save');
  await expect(save).toBeDisabled();

  // A time in the future: refused by the server, in French, nothing changed.
  await time.fill(`${parisDay(1)}T10:30`);
  await injection.getByTestId('correction-reason').fill('Lot et heure mal saisis');
  await save.click();
  await expect(injection.getByTestId('correction-error')).toHaveText('La date d\'injection ne peut pas être dans le futur.');
  await expect(injection.getByTestId('injection-lot')).toHaveText(`lot ${lotBefore}`);

  // Yesterday at 10:30 (Paris), the other lot.
  const yesterday = parisDay(-1);
  await time.fill(`${yesterday}T10:30`);
  await lot.selectOption({ index: 1 });
  await save.click();
  await expect(injection.getByTestId('injection-lot')).toHaveText(`lot ${newLot}`);
  await expect(injection.getByTestId('injection-time')).toHaveText(`${shown(yesterday)} 10:30`);
  await expect(injection.getByTestId('injection-corrected')).toBeVisible();
  expect(await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]))
    .toEqual([360, 360]);

  // The recap above and the API say the same.
  const row = page.getByTestId('recap').locator('tbody tr');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText(newLot);
  await expect(row).toContainText(`${shown(yesterday)} 10:30`);
  const patientId = new URL(page.url()).pathname.split('/').pop()!;
  const file = await (await page.request.get(`/api/patients/${patientId}`)).json();
  const [corrected] = file.injections;
  expect(corrected.lot_number).toBe(newLot);
  expect(inParis(corrected.administered_at)).toBe(`${yesterday} 10:30`);
  expect(corrected.version).toBe(2);
  const revisions = await (await page.request.get(`/api/injections/${corrected.id}/revisions`)).json();
  expect(revisions.map((r: { change: string; reason: string }) => [r.change, r.reason]))
    .toEqual([['correction', 'Lot et heure mal saisis']]);

  // Found again by NIR, the history shows the corrected dose.
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill(nir());
  await page.getByTestId('nir').press('Enter');
  const again = page.getByTestId('history').getByTestId('injection');
  await expect(again.getByTestId('injection-lot')).toHaveText(`lot ${newLot}`);
  await expect(again.getByTestId('injection-corrected')).toBeVisible();
  expect(errors).toEqual([]);
});
