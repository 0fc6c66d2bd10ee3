// Accessibility: axe-core (WCAG 2.1 A/AA rules) on the main pages, at phone width, and the
// size of touch targets (≥ 44 px).
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

const PAGES = ['/', '/connexion', '/terminal', '/validation', '/activation', '/page-inconnue'];

for (const path of PAGES) {
  test(`accessibilité WCAG A/AA : ${path}`, async ({ page }) => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.goto(path);
    await page.locator('main').waitFor();
    await page.waitForLoadState('networkidle');
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

    // Every button and field is at least 44 px tall: fingers, not mouse pointers.
    const small = await page.locator('button:visible, input:visible, select:visible').evaluateAll((els) =>
      els.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80)),
    );
    expect(small).toEqual([]);
  });
}
