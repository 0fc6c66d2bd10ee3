// The browser benchmark (scripts/bench.sh): same setup as the tests (a server of its own).
import base from './playwright.config';
import { defineConfig } from '@playwright/test';

export default defineConfig({ ...base, testDir: './bench', testMatch: /.*\.bench\.ts/, timeout: 60_000 });
