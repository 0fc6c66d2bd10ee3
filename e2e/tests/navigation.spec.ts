// The way around: a menu adapted to the signed-in role on every screen (visitor, professional,
// security officer, structure account, delegate), where each role lands once signed in,
// "Mes sessions" naming the tablet as typed there, and anonymous pages that log nothing in the
// console — not even after the session check's polling interval.
import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import {
  activatedPhone,
  addVirtualAuthenticator,
  advanceClock,
  doctorTablet,
  grantSecurityOfficer,
  JEAN_MARTIN,
  signInCentre,
} from './helpers';

ownServer();

/** The demonstration staff member (backend/src/demo.rs). */
const MARIE = { cpe: '3001234567', name: 'Marie Dupont' };

/** The pages a visitor's menu offers, and the home page. */
const ANONYMOUS_ROUTES = ['/', '/connexion', '/terminal', '/personnel', '/structure', '/verifier', '/statistiques'];

/** The session check's polling interval in the SPA (frontend/src/session.rs). */
const POLL_EVERY_MS = 30_000;

function menu(page: Page) {
  return page.getByRole('navigation', { name: 'Menu principal' });
}

async function menuEntries(page: Page): Promise<string[]> {
  await expect(menu(page)).toBeVisible();
  return (await menu(page).getByRole('link').allInnerTexts()).map((t) => t.trim());
}

async function expectCurrent(page: Page, name: string): Promise<void> {
  const current = menu(page).locator('[aria-current="page"]');
  await expect(current).toHaveCount(1);
  await expect(current).toHaveText(name);
}

test.beforeAll(async () => {
  // A fresh push budget for Dr Jean Martin (3 requests per 10 minutes are real).
  await advanceClock(15 * 60);
});

test('visiteur : le menu propose la connexion et les pages publiques, la page courante marquée', async ({ page }) => {
  await page.goto('/connexion');
  expect(await menuEntries(page)).toEqual([
    "Connexion par clé d'accès",
    'Connexion par téléphone',
    'Saisie déléguée',
    'Espace structure',
    'Vérifier un certificat',
    'Données ouvertes',
  ]);
  await expectCurrent(page, "Connexion par clé d'accès");
  await menu(page).getByRole('link', { name: 'Vérifier un certificat' }).click();
  await expect(page).toHaveURL(/\/verifier$/);
  await expectCurrent(page, 'Vérifier un certificat');
  // The home page is no entry of its own (the brand leads there): nothing is current.
  await page.getByRole('link', { name: 'Vigie', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(menu(page).locator('[aria-current]')).toHaveCount(0);
});

test('visiteur sur téléphone (360 px) : menu replié, ouvert et refermé au clavier', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto('/');
  const toggle = menu(page).getByRole('button', { name: 'Menu' });
  const links = menu(page).getByRole('link');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(links.first()).toBeHidden();

  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(links.first()).toBeVisible();
  // Fingers, not mouse pointers: every entry and the button at least 44 px tall.
  const heights = await menu(page)
    .locator('a:visible, button:visible')
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  expect(heights.length).toBeGreaterThan(1);
  expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);

  // Escape folds it and gives the focus back to its button.
  await page.keyboard.press('Tab');
  await expect(links.first()).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(toggle).toBeFocused();

  // A page chosen with the keyboard opens, and the menu folds again.
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/connexion$/);
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
});

test('visiteur : aucune erreur dans la console des pages publiques, même après un intervalle de vérification', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  const checks: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/api/session')) checks.push(path);
  });
  // The page's timers on a clock of the test's own: one polling interval passes at once.
  await page.clock.install();

  for (const route of ANONYMOUS_ROUTES) {
    checks.length = 0;
    await page.goto(route);
    // The menu shows once the server has said nobody is signed in: one check, answered.
    await expect(menu(page).getByRole('link').first()).toBeVisible();
    await expect(page.getByRole('banner')).toContainText('Non connecté');
    expect(checks, route).toEqual(['/api/session/presence']);

    await page.clock.runFor(POLL_EVERY_MS + 1_000);
    // A request of our own after the interval: anything the interval sent went out before it.
    expect(await page.evaluate(async () => (await fetch('/api/health')).ok)).toBe(true);
    expect(checks, `${route}: nobody is signed in, nothing to poll`).toEqual(['/api/session/presence']);
  }
  expect(errors).toEqual([]);
});

test('professionnel : arrive sur la saisie, son menu ; officier de sécurité : la page Sécurité en plus', async ({ context, page }) => {
  // doctorTablet signs in with the passkey on /connexion.
  await doctorTablet(context, page);
  await expect(page).toHaveURL(/\/vaccination$/);
  expect(await menuEntries(page)).toEqual([
    'Vaccination',
    'À vérifier',
    'Supervision des saisies déléguées',
    'Mes délégués',
    'Lots de vaccins',
    'Mes sessions',
    'Mes appareils',
    'Vérifier un certificat',
    'Statistiques',
  ]);
  await expectCurrent(page, 'Vaccination');

  await menu(page).getByRole('link', { name: 'Mes délégués' }).click();
  await expect(page).toHaveURL(/\/parametres$/);
  await expectCurrent(page, 'Mes délégués');

  grantSecurityOfficer(JEAN_MARTIN.nationalId);
  await page.reload();
  await expect(menu(page).getByRole('link', { name: 'Sécurité' })).toBeVisible();
  await menu(page).getByRole('link', { name: 'Sécurité' }).click();
  await expect(page).toHaveURL(/\/securite$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sécurité');
  await expectCurrent(page, 'Sécurité');
});

test('connexion par téléphone : la tablette arrive sur la saisie, « Mes sessions » la dit inconnue avec le nom saisi', async ({ browser }) => {
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  await phone.page.goto('/validation');
  await expect(phone.page.getByText('Aucune demande en attente')).toBeVisible();
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await tablet.newPage();

  await tab.goto('/terminal');
  await tab.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await tab.getByLabel('Nom de ce poste').fill('Tablette du hall');
  await tab.getByRole('button', { name: /Recevoir la demande sur mon téléphone/ }).click();
  const code = (await tab.getByTestId('push-code').innerText()).replace(/\D/g, '');
  const request = phone.page.getByTestId('pending-request');
  await request.getByLabel(/Code affiché sur le poste/).fill(code);
  await request.getByRole('button', { name: /Valider/ }).click();

  await expect(tab.getByRole('banner')).toContainText(JEAN_MARTIN.name);
  await expect(tab).toHaveURL(/\/vaccination$/);
  await menu(tab).getByRole('link', { name: 'Mes sessions' }).click();
  await expect(tab).toHaveURL(/\/sessions$/);
  const mine = tab.getByTestId('session-row').filter({ hasText: 'cet appareil' });
  // Not enrolled: the phone showed "Poste inconnu", and so does the list; the typed name is
  // only a hint (anyone can type "Tablette du hall").
  await expect(mine.getByTestId('session-name')).toHaveText(
    'Poste inconnu (nommé « Tablette du hall » sur le poste) (cet appareil)',
  );
  await expect(mine).toContainText('Navigateur');
  await tablet.close();
  await phone.context.close();
});

test('compte de structure : reste sur sa page, menu de la structure (personnel, lots, sessions)', async ({ page }) => {
  await signInCentre(page);
  await expect(page).toHaveURL(/\/structure$/);
  expect(await menuEntries(page)).toEqual(['Espace structure', 'Personnel', 'Lots de vaccins', 'Mes sessions']);
  await expectCurrent(page, 'Espace structure');
  await menu(page).getByRole('link', { name: 'Personnel' }).click();
  await expect(page).toHaveURL(/\/structure#personnel$/);
  await expect(page.locator('#personnel').getByTestId('managed-structure')).toBeInViewport();
  await menu(page).getByRole('link', { name: 'Mes sessions' }).click();
  await expect(page).toHaveURL(/\/sessions$/);
  await expectCurrent(page, 'Mes sessions');
});

test('personnel en saisie déléguée : la saisie seulement, sous la responsabilité du Dr', async ({ browser }) => {
  test.setTimeout(60_000);
  // The manager gives Marie Dupont a passkey link; her tablet creates the passkey.
  const manager = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const desk = await manager.newPage();
  await signInCentre(desk);
  const marieRow = desk.getByTestId('staff-row').filter({ hasText: MARIE.name });
  await marieRow.getByRole('button', { name: /Nouveau lien de clé d.accès/ }).click();
  const link = (await desk.getByTestId('staff-enrolment-link').innerText()).trim();
  await manager.close();

  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  const tab = await tablet.newPage();
  await addVirtualAuthenticator(tablet, tab);
  await tab.goto(link);
  await tab.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(tab.getByTestId('activation-done')).toBeVisible();

  // Signed in, not yet approved: the request is all there is.
  await tab.goto('/personnel');
  await tab.getByLabel('Numéro de carte CPE').fill(MARIE.cpe);
  await tab.getByRole('button', { name: /Se connecter avec ma clé d.accès/ }).click();
  await expect(tab.getByTestId('delegation-banner')).toContainText('en attente de validation');
  expect(await menuEntries(tab)).toEqual(['Saisie déléguée', 'Mes appareils']);

  // Dr Jean Martin approves on his phone: the tablet opens the entry screen, nothing else.
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  await phone.page.goto('/validation');
  await tab.getByRole('radio', { name: JEAN_MARTIN.name }).check();
  await tab.getByRole('button', { name: 'Demander la validation' }).click();
  const code = (await tab.getByTestId('push-code').innerText()).replace(/\D/g, '');
  const request = phone.page.getByTestId('pending-request');
  await request.getByLabel(/Code affiché sur le poste/).fill(code);
  await request.getByRole('button', { name: 'Valider' }).click();

  await expect(tab).toHaveURL(/\/vaccination$/);
  await expect(tab.getByTestId('delegation-banner')).toHaveText(
    `Saisie par ${MARIE.name} sous la responsabilité du ${JEAN_MARTIN.name}`,
  );
  expect(await menuEntries(tab)).toEqual(['Vaccination', 'Mes appareils']);
  await expectCurrent(tab, 'Vaccination');
  await tablet.close();
  await phone.context.close();
});
