import { expect, ownServer, test } from './fixtures';
import { doctorTablet, expectAccessible } from './helpers';

ownServer();

/** A valid NIR of a man born in May 1980, unique per serial: key = 97 − (13 digits mod 97). */
function nir(serial: number): string {
  const body = `1800575123${String(serial).padStart(3, '0')}`;
  const key = 97n - (BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

test('statistiques publiques : courbes, couverture et téléchargements, petits effectifs masqués', async ({ context, page }) => {
  // Twelve first doses in one age class (40–49), recorded through the API by a signed-in doctor.
  await doctorTablet(context, page);
  const ctx = await (await page.request.get('/api/vaccination/context')).json();
  const structure = ctx.structures[0];
  const lot = structure.lots.find((l: { product_code: string; active: boolean }) => l.product_code === 'comirnaty' && l.active);
  for (let i = 0; i < 12; i++) {
    const r = await page.request.post('/api/vaccinations', {
      // As the page itself would: the server refuses changes from anywhere else.
      headers: { Origin: new URL(process.env.VIGIE_BASE_URL!).origin },
      data: {
        idempotency_key: crypto.randomUUID(),
        structure_id: structure.id,
        patient: {
          kind: 'new', nir: nir(i), family_name: `Statistique${i}`, given_names: 'Test',
          birth_date: '1980-05-10', sex: 'male', residence_department: '75', esms_finess: null,
        },
        consultation: { eligible: true, contraindications: '', consent: true, outcome: 'vaccinate', postpone_reason: null },
        injection: { product_code: 'comirnaty', lot_id: lot.id, site: 'left_deltoid', administered_at: null, confirmed_warnings: [] },
      },
    });
    expect(r.status()).toBe(200);
  }

  // Anyone (a fresh visitor) sees the curves: 12 first doses are published as 10.
  const visitor = await page.context().browser()!.newContext({ baseURL: process.env.VIGIE_BASE_URL, locale: 'fr-FR' });
  const p = await visitor.newPage();
  await p.goto('/statistiques');
  await expect(p.getByTestId('chart')).toHaveCount(2);
  await p.getByTestId('stat-age').selectOption('49');
  // Daily counts of 12 stay blank (a daily increase under 11 is not published); the cumulative shows 10.
  await expect(p.getByTestId('chart').nth(1).locator('svg[role="img"]')).toHaveAttribute('aria-label', /Premières doses : 10/);
  await expect(p.getByTestId('chart').nth(1).locator('path').first()).toHaveAttribute('d', /^M/);
  await expect(p.getByTestId('coverage')).toBeVisible();
  await expectAccessible(p);

  // Department 75: the same file layout, downloadable.
  await p.getByTestId('stat-dep').fill('75');
  await p.getByRole('button', { name: 'Afficher' }).click();
  const csvHref = await p.getByTestId('download-csv').getAttribute('href');
  expect(csvHref).toContain('/api/statistics/departments.csv?dep=75');
  const csv = await p.request.get(csvHref!);
  expect(csv.status()).toBe(200);
  const [header, ...lines] = (await csv.text()).trim().split('\n');
  expect(header.trim()).toBe('dep;clage_vacsi;jour;n_dose1;n_complet;n_rappel;n_cum_dose1;n_cum_complet;n_cum_rappel;couv_dose1;couv_complet;couv_rappel');
  expect(lines.some((l) => l.startsWith('75;49;') && l.split(';')[6] === '10')).toBe(true);
  const json = await p.request.get((await p.getByTestId('download-json').getAttribute('href'))!);
  expect((await json.json()).rows.length).toBeGreaterThan(0);
  await visitor.close();
});
