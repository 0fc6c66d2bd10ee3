import * as path from 'node:path';
import { type BrowserContext, type Locator, type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { collectErrors, doctorTablet, newPatientReady } from './helpers';

ownServer();

// A 360-pixel phone.
test.use({ viewport: { width: 360, height: 740 } });

// A man born in June 1962 (valid key): a patient no other test uses.
const NIR = '162067512345652';

/** Nothing wider than the screen: no sideways scrolling. */
async function expectNoOverflow(page: Page): Promise<void> {
  const widths = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(widths[0]).toBeLessThanOrEqual(widths[1]);
}

/** The text of the QR code drawn on screen, read from a screenshot by an independent decoder (jsQR). */
async function decodeQr(context: BrowserContext, qr: Locator): Promise<string | null> {
  const png = await qr.screenshot();
  const decoder = await context.newPage();
  await decoder.addScriptTag({ path: path.join(__dirname, '..', 'node_modules', 'jsqr', 'dist', 'jsQR.js') });
  const text = await decoder.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, canvas.width, canvas.height);
    const jsQR = (window as unknown as { jsQR: (d: Uint8ClampedArray, w: number, h: number) => { data: string } | null }).jsQR;
    return jsQR(data.data, data.width, data.height)?.data ?? null;
  }, png.toString('base64'));
  await decoder.close();
  return text;
}

/** The code sits inside its white frame, and the caption below it, uncovered. */
async function expectQrInItsFrame(page: Page): Promise<void> {
  const frame = (await page.locator('.certificate .qr').boundingBox())!;
  const code = (await page.locator('.certificate .qr svg').boundingBox())!;
  const caption = (await page.locator('.certificate figcaption').boundingBox())!;
  expect(code.x).toBeGreaterThanOrEqual(frame.x);
  expect(code.y).toBeGreaterThanOrEqual(frame.y);
  expect(code.x + code.width).toBeLessThanOrEqual(frame.x + frame.width + 0.5);
  expect(code.y + code.height).toBeLessThanOrEqual(frame.y + frame.height + 0.5);
  expect(caption.y).toBeGreaterThanOrEqual(frame.y + frame.height);
  expect(code.width).toBeGreaterThan(150);
}

test('téléphone 360 px : saisie sans débordement, bilan complet, QR code lisible à l’écran et à l’impression', async ({ context, page }) => {
  const errors = collectErrors(page);
  await doctorTablet(context, page);
  await newPatientReady(page, { nir: NIR, familyName: 'Petitjean', givenNames: 'Marc', birthDate: '1962-06-03', department: '75' });
  await expectNoOverflow(page);
  // "Enregistrer" is on screen wherever the form is scrolled: at its top and at its bottom.
  await page.evaluate(() => window.scrollTo(0, 0));
  await expect(page.getByTestId('save')).toBeInViewport();
  await page.getByTestId('consent').scrollIntoViewIfNeeded();
  await expect(page.getByTestId('save')).toBeInViewport();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('dose 1/2');

  // The recap: every column of the injection, each under its name, nothing cut.
  // The certificate is issued at each request (its issue time in seconds), so the oracle is the
  // very answer the page received, not a second fetch.
  const issued = page.waitForResponse((r) => /\/api\/patients\/[^/]+\/certificate$/.test(new URL(r.url()).pathname));
  await page.getByTestId('open-bilan').click();
  const certificate = await (await issued).json();
  const row = page.getByTestId('recap').locator('tbody tr').first();
  for (const [label, value] of [
    ['Dose', '1/2'],
    ['Lieu', 'Centre de vaccination de Melun'],
    ['Vaccinateur', 'Jean Martin'],
  ]) {
    const cell = row.locator(`td[data-label="${label}"]`);
    await expect(cell).toBeVisible();
    await expect(cell).toContainText(value);
  }
  await expectNoOverflow(page);

  // The certificate's QR code fits its frame and decodes to the certificate itself.
  expect(certificate.payload).toMatch(/^HC1:/);
  await expectQrInItsFrame(page);
  expect(await decodeQr(context, page.locator('.certificate .qr'))).toBe(certificate.payload);

  // Printed: the same.
  await page.emulateMedia({ media: 'print' });
  await expectQrInItsFrame(page);
  expect(await decodeQr(context, page.locator('.certificate .qr'))).toBe(certificate.payload);
  // Nothing logged in the console on the way (form, recap, print).
  expect(errors).toEqual([]);
});
