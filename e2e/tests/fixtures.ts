// `test` with the page's base URL taken from this spec file's own server, and `ownServer()`,
// which each spec file calls once: the server starts before the file's first test (or its
// first page, whichever comes first) and stops after its last test (helpers read the address
// and environment from process.env).
import { expect, test as base } from '@playwright/test';
import { startServer, type Server } from '../server';

let current: Promise<Server> | undefined;

function server(): Promise<Server> {
  current ??= startServer().then((s) => {
    process.env.VIGIE_BASE_URL = s.url;
    process.env.VIGIE_E2E_ENV = JSON.stringify(s.env);
    return s;
  });
  return current;
}

export const test = base.extend({
  baseURL: async ({}, use) => {
    await use((await server()).url);
  },
});

export function ownServer(): void {
  test.beforeAll(async () => {
    await server();
  });
  test.afterAll(async () => {
    const s = current;
    current = undefined;
    await (await s)?.stop();
  });
}

export { expect };
