// The browser benchmark (scripts/bench.sh): same setup as the tests (a server of its own), run
// on a hall tablet and on a 360-pixel phone.
import base from './playwright.config';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  ...base,
  testDir: './bench',
  testMatch: /.*\.bench\.ts/,
  timeout: 60_000,
  projects: [
    { name: 'tablette', use: { viewport: { width: 1280, height: 800 } } },
    { name: 'téléphone', use: { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } },
  ],
});
