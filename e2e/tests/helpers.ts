import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { BrowserContext, CDPSession, Page } from '@playwright/test';

const VIGIE_BIN = resolve(__dirname, '..', '..', 'target', 'release', 'vigie');

/** A single-use activation link, issued by the operator command against the test database. */
export function enrolmentLink(nationalId: string): string {
  const env = JSON.parse(process.env.VIGIE_E2E_ENV ?? '{}');
  return execFileSync(VIGIE_BIN, ['enrol', nationalId], { env, encoding: 'utf8' }).trim();
}

/**
 * Chrome's virtual authenticator (DevTools protocol): a platform passkey with user
 * verification, as on a phone with biometrics.
 */
export async function addVirtualAuthenticator(context: BrowserContext, page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** Dr Jean Martin of the demonstration data. */
export const JEAN_MARTIN = { nationalId: '810003456786', name: 'Dr Jean Martin' };
