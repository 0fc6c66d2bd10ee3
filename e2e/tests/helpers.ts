import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect } from '@playwright/test';
import type { Browser, BrowserContext, CDPSession, Page } from '@playwright/test';

const VIGIE_BIN = resolve(__dirname, '..', '..', 'target', 'release', 'vigie-testing');

/** A single-use activation link, as the operator's `vigie enrol` prints it. */
export function enrolmentLinkFromCli(nationalId: string): string {
  const env = JSON.parse(process.env.VIGIE_E2E_ENV ?? '{}');
  return execFileSync(VIGIE_BIN, ['enrol', nationalId], { env, encoding: 'utf8' }).trim();
}

/**
 * The same link issued by the test server on its own clock (tests move that clock forward, and
 * a link from the command, on the real clock, would already look expired to the server).
 */
export async function enrolmentLink(nationalId: string): Promise<string> {
  const r = await fetch(`${process.env.VIGIE_BASE_URL}/api/testing/enrolment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ national_id: nationalId }),
  });
  if (!r.ok) throw new Error(`enrolment: ${r.status}`);
  return (await r.json()).link;
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

/** What the operator's `vigie outbox` prints: mails and SMS not delivered by a relay. */
export function outbox(): string {
  const env = JSON.parse(process.env.VIGIE_E2E_ENV ?? '{}');
  return execFileSync(VIGIE_BIN, ['outbox'], { env, encoding: 'utf8' });
}

/** Moves the test server's clock forward (the server runs with `testing = true`). */
export async function advanceClock(seconds: number): Promise<void> {
  const r = await fetch(`${process.env.VIGIE_BASE_URL}/api/testing/clock`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ seconds }),
  });
  if (!r.ok) throw new Error(`clock: ${r.status}`);
}

/** A phone: its own browser context with a platform passkey, activated through the enrol link. */
export async function activatedPhone(browser: Browser, nationalId: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 800 }, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await addVirtualAuthenticator(context, page);
  await page.goto(await enrolmentLink(nationalId));
  await page.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await page.getByTestId('activation-done').waitFor();
  return { context, page };
}

/** Dr Jean Martin of the demonstration data. */
export const JEAN_MARTIN = { nationalId: '810003456786', name: 'Dr Jean Martin' };

/** The centre's structure account of the demonstration data (backend/src/demo.rs). */
export const CENTRE_ACCOUNT = {
  identifier: '770012342',
  password: 'Melun vaccine chaque matin 2026',
  mobile: '+33 6 70 00 12 34',
  name: 'Responsable du centre',
  structure: 'Centre de vaccination de Melun',
};

/** The newest sign-in code sent by SMS to `mobile`, read in the operator's outbox. */
export function smsSignInCode(mobile: string): string {
  const sms = outbox()
    .split('--- SMS ')
    .filter((block) => block.includes(`à ${mobile} :`) && block.includes('code de connexion'));
  const code = sms.at(-1)?.match(/code de connexion est (\d{6})/)?.[1];
  if (!code) throw new Error(`no sign-in code sent to ${mobile}`);
  return code;
}

/**
 * A new structure account, as the operator's `vigie create-structure-account` makes it: its
 * provisional password must be replaced at the first sign-in. Returns that password.
 */
export function createStructureAccount(account: { finess: string; identifier: string; name: string; mobile: string }): string {
  const env = JSON.parse(process.env.VIGIE_E2E_ENV ?? '{}');
  const printed = execFileSync(
    VIGIE_BIN,
    [
      'create-structure-account',
      '--finess', account.finess,
      '--identifier', account.identifier,
      '--name', account.name,
      '--email', `${account.identifier}@demo.vigie.invalid`,
      '--mobile', account.mobile,
    ],
    { env, encoding: 'utf8' },
  );
  const password = printed.match(/Mot de passe provisoire[^:]*: (\S+)/)?.[1];
  if (!password) throw new Error(`no provisional password in: ${printed}`);
  return password;
}

/**
 * axe-core (WCAG 2.1 A/AA rules): no serious or critical violation, and every button and
 * field at least 44 px tall (fingers, not mouse pointers).
 */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

  const small = await page.locator('button:visible, input:visible, select:visible').evaluateAll((els) =>
    els.filter((e) => e.getBoundingClientRect().height < 44).map((e) => e.outerHTML.slice(0, 80)),
  );
  expect(small).toEqual([]);
}

/** Passkey sign-in of Dr Jean Martin on this page (the authenticator already holds his key). */
export async function signInJeanMartin(page: Page): Promise<void> {
  await page.goto('/connexion');
  await page.getByLabel(/Identifiant national/).fill(JEAN_MARTIN.nationalId);
  await page.getByRole('button', { name: /Se connecter avec ma clé/ }).click();
  // Signed in, the tablet opens dose entry: a page of another app, loaded in full.
  await expect(page).toHaveURL(/\/vaccination$/);
  await appLoaded(page, 'entry');
  await expect(page.getByRole('banner')).toContainText(JEAN_MARTIN.name);
}

/**
 * Waits until the page runs the app of `folder` (`hall`, `entry`…; `approver` for the phone):
 * crossing from one app to another is a full page load.
 */
export async function appLoaded(page: Page, folder: string): Promise<void> {
  await page.waitForFunction(
    (f) => !!document.querySelector(`link[href^="/${f}/"], script[src^="/${f}/"]`) && !document.getElementById('app-shell'),
    folder,
  );
}

/** A tablet where Dr Jean Martin created a passkey (virtual authenticator) and signed in. */
export async function doctorTablet(context: BrowserContext, page: Page): Promise<void> {
  await addVirtualAuthenticator(context, page);
  await page.goto(await enrolmentLink(JEAN_MARTIN.nationalId));
  await page.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(page.getByTestId('activation-done')).toBeVisible();
  await signInJeanMartin(page);
}

/** A new patient's identity as the dose form asks for it. */
export interface NewPatient {
  nir: string;
  familyName: string;
  givenNames: string;
  birthDate: string;
  department: string;
}

/**
 * On `/vaccination` (opened here unless `stay`), the NIR of a patient Vigie does not know yet,
 * their identity typed and the consultation ticked: the dose form is ready to save, its lot
 * chosen.
 */
export async function newPatientReady(page: Page, p: NewPatient, stay = false): Promise<void> {
  if (!stay) await page.goto('/vaccination');
  await page.getByTestId('nir').fill(p.nir);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('dose-form')).toBeVisible();
  await page.getByTestId('family-name').fill(p.familyName);
  await page.getByTestId('given-names').fill(p.givenNames);
  await page.getByTestId('birth-date').fill(p.birthDate);
  await page.getByTestId('department').fill(p.department);
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await expect(page.getByTestId('lot')).not.toHaveValue('');
}

/** The structure account signs in (password, then the SMS code from the outbox). */
export async function signInCentre(page: Page): Promise<void> {
  await page.goto('/structure');
  await page.getByLabel(/Identifiant \(FINESS/).fill(CENTRE_ACCOUNT.identifier);
  await page.getByLabel('Mot de passe', { exact: true }).fill(CENTRE_ACCOUNT.password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  await expect(page.getByRole('banner')).toContainText('code SMS attendu');
  await page.getByLabel('Code reçu par SMS').fill(smsSignInCode(CENTRE_ACCOUNT.mobile));
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page.getByRole('banner')).toContainText(`Connecté : ${CENTRE_ACCOUNT.name}`);
}

/** The operator's `vigie grant-security-officer`. */
export function grantSecurityOfficer(nationalId: string): void {
  const env = JSON.parse(process.env.VIGIE_E2E_ENV ?? '{}');
  execFileSync(VIGIE_BIN, ['grant-security-officer', nationalId], { env, encoding: 'utf8' });
}

/** Console errors and uncaught exceptions of this page, as they come. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  return errors;
}

/**
 * A hall tablet enrolled by the centre's account, played from the test itself (Node's
 * WebCrypto, as the tablet's browser does): `ask` makes a push sign-in request signed by its
 * device key, which the phone names "Tablette … — <structure> (poste enregistré)" and which is
 * not atypical by itself (an unsigned request is "Poste inconnu", always atypical).
 */
export async function enrolledTerminal(name: string): Promise<{ ask: (nationalId: string) => Promise<{ id: string; code: string }> }> {
  const base = process.env.VIGIE_BASE_URL as string;
  let cookie = '';
  const call = async (path: string, body?: unknown): Promise<Response> => {
    const r = await fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(base).origin, cookie },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = r.headers.getSetCookie().map((c) => c.split(';')[0]);
    if (set.length > 0) cookie = set.join('; ');
    return r;
  };
  await call('/api/accounts/sign-in', { identifier: CENTRE_ACCOUNT.identifier, password: CENTRE_ACCOUNT.password });
  await call('/api/accounts/second-factor', { code: smsSignInCode(CENTRE_ACCOUNT.mobile) });
  const [structure] = await (await call('/api/structures/managed')).json();
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', keys.publicKey)).toString('base64url');
  const enrolled = await call(`/api/structures/${structure.id}/terminals`, { name, public_key: spki });
  if (enrolled.status !== 201) throw new Error(`enrolment: ${enrolled.status}`);
  const terminalId = (await enrolled.json()).id;
  await call('/api/session/logout', {});
  cookie = '';
  return {
    ask: async (nationalId: string) => {
      const { nonce } = await (await call('/api/terminals/nonce', { terminal_id: terminalId })).json();
      const message = `vigie-terminal-v1\npush\n${nonce}\n${nationalId}`;
      const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, new TextEncoder().encode(message));
      const r = await call('/api/approvals', {
        national_id: nationalId,
        terminal_proof: { terminal_id: terminalId, nonce, signature: Buffer.from(signature).toString('base64url') },
      });
      if (r.status !== 200) throw new Error(`push request: ${r.status}`);
      const created = await r.json();
      return { id: created.approval_id, code: created.code };
    },
  };
}

/** A valid NIR from its 13-digit body: the key is 97 − body mod 97. */
export function validNir(body: string): string {
  const key = 97n - (BigInt(body) % 97n);
  return body + String(key).padStart(2, '0');
}

/** Today's date in Paris, moved by `days`, as "YYYY-MM-DD". */
export function parisDay(days: number): string {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date());
  const day = new Date(`${today}T12:00:00Z`);
  day.setUTCDate(day.getUTCDate() + days);
  return day.toISOString().slice(0, 10);
}

/** An instant as Paris wall-clock time, "YYYY-MM-DD HH:MM". */
export function parisWallClock(at: Date): string {
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Paris',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).format(at);
}
