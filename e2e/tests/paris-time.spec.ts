import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { doctorTablet, newPatientReady, type NewPatient } from './helpers';

ownServer();

// A tablet whose clock is set to Tokyo (UTC+9, no summer time): what is typed is still Paris
// time on the date typed, never the device's zone or today's offset.
test.use({ timezoneId: 'Asia/Tokyo' });

/** A valid NIR (key = 97 − body mod 97) for a man born in May 1970 in Paris, serial `n`. */
function nir(n: number): string {
  const body = `17005751${String(230 + n).padStart(3, '0')}10`;
  const key = 97n - (BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

/** The `n`-th patient of this file. */
function patient(n: number): NewPatient {
  return { nir: nir(n), familyName: `Horaire${n}`, givenNames: 'Paul', birthDate: '1970-05-02', department: '75' };
}

/** A new patient, vaccinated at the time typed; returns the patient's id. */
async function vaccinateAt(page: Page, n: number, typed: string): Promise<string> {
  await newPatientReady(page, patient(n));
  await page.locator('#quand').fill(typed);
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');
  await page.getByTestId('open-bilan').click();
  await expect(page.getByTestId('recap')).toBeVisible();
  return page.url().split('/').pop()!;
}

// Half past midnight on both sides of both 2026 changes (29 March, 25 October): an offset
// wrong by one hour would also move the day.
const CASES = [
  { typed: '2026-03-28T00:30', shown: '28/03/2026 00:30', utc: '2026-03-27T23:30:00Z' },
  { typed: '2026-03-30T00:30', shown: '30/03/2026 00:30', utc: '2026-03-29T22:30:00Z' },
  { typed: '2026-10-24T00:30', shown: '24/10/2026 00:30', utc: '2026-10-23T22:30:00Z' },
  { typed: '2026-10-26T00:30', shown: '26/10/2026 00:30', utc: '2026-10-25T23:30:00Z' },
];

test('heures saisies : heure de Paris à la date saisie, de part et d’autre des changements d’heure', async ({ context, page }) => {
  await doctorTablet(context, page);
  for (const [n, c] of CASES.entries()) {
    const patientId = await vaccinateAt(page, n, c.typed);
    // Shown back as typed on the recap…
    await expect(page.getByTestId('recap').locator('tbody tr').first()).toContainText(c.shown);
    // …and stored as the right instant (the PDF's dates are checked in the API tests).
    const file = await (await page.request.get(`/api/patients/${patientId}`)).json();
    expect(Date.parse(file.injections[0].administered_at)).toBe(Date.parse(c.utc));
  }

  // The hour skipped in spring (02:00–02:59 on 29 March 2026) never existed in Paris: said
  // plainly, nothing recorded.
  await newPatientReady(page, patient(9));
  await page.locator('#quand').fill('2026-03-29T02:30');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('dose-error')).toContainText("n'a pas existé");
  await expect(page.getByTestId('recorded')).toHaveCount(0);
});
