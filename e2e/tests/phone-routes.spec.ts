// Every screen on a 360-pixel phone: nothing wider than the screen (no sideways scrolling), and
// nothing logged in the console — for a visitor (the approver app included, on a phone not
// activated), a signed-in professional (and security officer), and a structure account.
import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { collectErrors, doctorTablet, grantSecurityOfficer, JEAN_MARTIN, signInCentre } from './helpers';

ownServer();

test.use({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });

/** What a visitor may open (frontend/src/app.rs): the menu's pages and those reached by a link. */
const ANONYMOUS_ROUTES = [
  '/',
  '/connexion',
  '/activation',
  '/terminal',
  '/validation',
  '/personnel',
  '/personnel/activation',
  '/structure',
  '/verifier',
  '/statistiques',
  '/signalement',
];

/** A professional's menu (frontend/src/components/site_nav.rs), and the approver app. */
const PROFESSIONAL_ROUTES = [
  '/vaccination',
  '/supervision',
  '/parametres',
  '/lots',
  '/sessions',
  '/verifier',
  '/statistiques',
  '/validation',
];

/** The route, once its first answers are in: the heading shown, nothing left loading. */
async function open(page: Page, route: string): Promise<void> {
  await page.goto(route);
  await expect(page.locator('h1').first()).toBeVisible();
  await expect(page.getByText(/^Chargement/)).toHaveCount(0);
  // Answers still under way (charts, lists) have a moment to arrive and lay out.
  await page.waitForTimeout(300);
}

/** The widest element's overflow, if the page is wider than the screen. */
async function overflow(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const width = window.innerWidth;
    if (document.documentElement.scrollWidth <= width) return null;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5)
      .map((e) => `${e.tagName.toLowerCase()}${e.className ? `.${String(e.className).replace(/ /g, '.')}` : ''}`);
    return `${document.documentElement.scrollWidth} > ${width}: ${culprits.slice(0, 8).join(', ')}`;
  });
}

test('téléphone 360 px, visiteur : aucune page ne déborde, rien dans la console', async ({ page }) => {
  const errors = collectErrors(page);
  for (const route of ANONYMOUS_ROUTES) {
    await open(page, route);
    expect(await overflow(page), route).toBeNull();
  }
  // The approver app on a phone not activated: a link to the activation form (the hall app's
  // page, so the phone's own download stays small), without a refused request.
  await open(page, '/validation');
  await expect(page.getByText('Ce téléphone n\'est pas encore activé')).toBeVisible();
  await page.getByTestId('open-activation').click();
  await expect(page).toHaveURL(/\/activation$/);
  await expect(page.getByRole('heading', { name: 'Activer ce téléphone' })).toBeVisible();
  expect(await overflow(page), '/activation').toBeNull();
  expect(errors).toEqual([]);
});

test('téléphone 360 px, professionnel connecté : aucune page ne déborde, rien dans la console', async ({ context, page }) => {
  await doctorTablet(context, page);
  const errors = collectErrors(page);
  for (const route of PROFESSIONAL_ROUTES) {
    await open(page, route);
    expect(await overflow(page), route).toBeNull();
  }
  // His passkey was created in this browser: it is his activated phone too.
  await open(page, '/validation');
  await expect(page.getByTestId('no-request')).toBeVisible();
  // Made a security officer: his security page too.
  grantSecurityOfficer(JEAN_MARTIN.nationalId);
  await open(page, '/securite');
  expect(await overflow(page), '/securite').toBeNull();
  expect(errors).toEqual([]);
});

test('téléphone 360 px, compte de structure : aucune page ne déborde, rien dans la console', async ({ page }) => {
  const errors = collectErrors(page);
  await signInCentre(page);
  await open(page, '/structure');
  await expect(page.getByTestId('managed-structure')).toBeVisible();
  expect(await overflow(page), '/structure').toBeNull();
  await open(page, '/sessions');
  expect(await overflow(page), '/sessions').toBeNull();
  expect(errors).toEqual([]);
});
