// A `target/release/vigie-testing serve --demo` of its own: a fresh SQLite file and vault keys in
// a temporary folder, a free loopback port, its own clock. Each spec file starts one
// (`ownServer` in tests/fixtures.ts), so no spec depends on what another did before it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..');
// The release program with the test-only routes (clock, enrolment link): see scripts/test.sh.
export const VIGIE_BIN = join(ROOT, 'target', 'release', 'vigie-testing');

export interface Server {
  url: string;
  /** The environment the server runs with (the operator commands need the same). */
  env: Record<string, string | undefined>;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((ok, ko) => {
    const srv = createServer();
    srv.on('error', ko);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => ok(port));
    });
  });
}

async function waitHealthy(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not become healthy in 30 s');
}

export async function startServer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-e2e-'));
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    VIGIE_LISTEN: `127.0.0.1:${port}`,
    VIGIE_PUBLIC_URL: `http://localhost:${port}`,
    VIGIE_DATABASE_URL: `sqlite://${join(dir, 'vigie.db')}?mode=rwc`,
    VIGIE_DIST_DIR: join(ROOT, 'dist'),
    VIGIE_VAULT__KEYS_FILE: join(dir, 'vigie.keys'),
    VIGIE_TESTING: 'true',
    VIGIE_LOG: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.VIGIE_BASE_URL;
  delete env.VIGIE_E2E_ENV;
  const server = spawn(VIGIE_BIN, ['serve', '--demo'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  // WebAuthn needs a domain: localhost, not 127.0.0.1.
  const url = `http://localhost:${port}`;
  await waitHealthy(url, server);
  return {
    url,
    env,
    stop: async () => {
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
