// Accessibility: axe-core (WCAG 2.1 A/AA rules) on the main pages, at phone width, and the
// size of touch targets (≥ 44 px).
import { test, ownServer } from './fixtures';
import { expectAccessible } from './helpers';

ownServer();

const PAGES = [
  '/',
  '/connexion',
  '/terminal',
  '/validation',
  '/activation',
  '/structure',
  '/verifier',
  '/personnel',
  '/personnel/activation',
  '/parametres',
  '/supervision',
  '/page-inconnue',
];

for (const path of PAGES) {
  test(`accessibilité WCAG A/AA : ${path}`, async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(path);
    await page.locator('main').waitFor();
    await page.waitForLoadState('networkidle');
    await expectAccessible(page);
  });
}
