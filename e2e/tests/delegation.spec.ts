// Délégation de saisie, end to end, with three browser contexts: the staff member's tablet,
// the doctor's phone (approver app) and the doctor's computer (supervision). The structure's
// manager gives Marie Dupont a passkey link; her tablet creates the passkey; Dr Jean Martin
// lets her type for him; she asks, he types the tablet's code on his phone; her entry appears
// live on his supervision screen; he contests it, then ends the session: the tablet locks
// within a second and its cookie opens nothing any more.
import { type BrowserContext, type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import {
  activatedPhone,
  addVirtualAuthenticator,
  advanceClock,
  CENTRE_ACCOUNT,
  doctorTablet,
  expectAccessible,
  JEAN_MARTIN,
  newPatientReady,
  signInCentre,
  smsSignInCode,
} from './helpers';

ownServer();

/** The demonstration staff member (backend/src/demo.rs). */
const MARIE = { cpe: '3001234567', name: 'Marie Dupont' };
const BANNER = `Saisie par ${MARIE.name} sous la responsabilité du ${JEAN_MARTIN.name}`;
/** A man born in May 1962 (valid key): a patient no other test uses. */
const NIR = '162057511234589';

test('saisie déléguée : clé du personnel, validation sur le téléphone, supervision en direct, fin de session', async ({ browser }) => {
  test.setTimeout(90_000);
  // Fresh push budget for Dr Jean Martin (3 requests per 10 minutes are real). Once only:
  // the CLI's activation link of passkey.spec.ts lives 30 minutes of the server's clock.
  await advanceClock(15 * 60);
  const contexts: BrowserContext[] = [];

  // 1. The manager makes a new passkey link for Marie Dupont, shown with its QR code.
  const manager = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(manager);
  const desk = await manager.newPage();
  await signInCentre(desk);
  const managed = desk.getByTestId('managed-structure');
  await expect(managed).toContainText(CENTRE_ACCOUNT.structure);
  const marieRow = managed.getByTestId('staff-row').filter({ hasText: MARIE.name });
  await expect(marieRow).toContainText(MARIE.cpe);
  await marieRow.getByRole('button', { name: /Nouveau lien de clé d.accès/ }).click();
  const enrolment = desk.getByTestId('staff-enrolment');
  await expect(enrolment).toContainText('À ouvrir sur la tablette de la personne, valable 24 h');
  await expect(desk.getByTestId('staff-enrolment-qr').locator('svg')).toBeVisible();
  const link = (await desk.getByTestId('staff-enrolment-link').innerText()).trim();
  expect(link).toMatch(/\/personnel\/activation#jeton=.+/);
  await expectAccessible(desk);

  // 2. Her tablet creates her passkey from the link.
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 }, hasTouch: true });
  contexts.push(tablet);
  const tab = await tablet.newPage();
  await addVirtualAuthenticator(tablet, tab);
  await tab.goto(link);
  await tab.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(tab.getByTestId('activation-done')).toBeVisible();
  await desk.reload();
  await expect(desk.getByTestId('staff-row').filter({ hasText: MARIE.name }).getByTestId('staff-passkey')).toHaveText('créée');

  // 3. The doctor's phone (approver app) and his computer (signed in with his passkey).
  const phone = await activatedPhone(browser, JEAN_MARTIN.nationalId);
  contexts.push(phone.context);
  await phone.page.goto('/validation');
  await expect(phone.page.getByText('Aucune demande en attente')).toBeVisible();
  const computer = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(computer);
  const screen = await computer.newPage();
  await doctorTablet(computer, screen);

  // 4. "Mes paramètres": he lets her type under his responsibility (withdraw, then authorise).
  await screen.goto('/parametres');
  const marieSwitch = screen.getByTestId('delegate').filter({ hasText: MARIE.name }).getByRole('switch');
  await expect(marieSwitch).toBeChecked();
  await marieSwitch.click();
  await expect(screen.getByTestId('settings-notice')).toContainText('ne peut plus saisir');
  await expect(marieSwitch).not.toBeChecked();
  await marieSwitch.click();
  await expect(screen.getByTestId('settings-notice')).toContainText(`${MARIE.name} peut saisir sous votre responsabilité`);
  await expect(marieSwitch).toBeChecked();
  await expectAccessible(screen);

  // The supervision screen is open before anything happens: all that follows arrives live.
  await screen.goto('/supervision');
  await expect(screen.getByRole('heading', { level: 1 })).toHaveText('Supervision des saisies déléguées');
  const navigations: string[] = [];
  screen.on('framenavigated', (frame) => {
    if (frame === screen.mainFrame()) navigations.push(frame.url());
  });

  // 5. On her tablet: her CPE number (checked as typed), her passkey, the doctor, the code.
  await tab.goto('/personnel');
  const cpe = tab.getByLabel('Numéro de carte CPE');
  await cpe.fill('30012345');
  await expect(tab.getByText('Numéro de carte CPE : 10 caractères attendus, 8 saisis.')).toBeVisible();
  await expect(tab.getByRole('button', { name: /Se connecter avec ma clé d.accès/ })).toBeDisabled();
  await cpe.fill(MARIE.cpe);
  await tab.getByRole('button', { name: /Se connecter avec ma clé d.accès/ }).click();
  await expect(tab.getByTestId('delegation-banner')).toContainText('en attente de validation');
  await tab.getByRole('radio', { name: JEAN_MARTIN.name }).check();
  await tab.getByLabel('Nom de ce poste').fill('Tablette 3');
  await expectAccessible(tab);
  await tab.getByRole('button', { name: 'Demander la validation' }).click();
  const code = (await tab.getByTestId('push-code').innerText()).replace(/\D/g, '');
  expect(code).toHaveLength(6);
  await expect(tab.getByTestId('push-qr').locator('svg')).toBeVisible();
  await expect(tab.getByTestId('push-status')).toContainText('En attente');

  // 6. His phone shows who asks, where; he types the code and confirms (UV).
  const request = phone.page.getByTestId('pending-request');
  // The tablet is not enrolled (terminals.spec.ts enrols one): the name typed on it is not shown.
  await expect(request.getByTestId('delegation-request')).toHaveText(
    `${MARIE.name} demande à saisir sous votre responsabilité sur « Poste inconnu » (${CENTRE_ACCOUNT.structure})`,
  );
  await request.getByLabel(/Code affiché sur le poste/).fill(code);
  await request.getByRole('button', { name: 'Valider' }).click();

  // 7. The tablet opens the entry screen under the banner; supervision shows the session.
  await expect(tab).toHaveURL(/\/vaccination$/);
  await expect(tab.getByTestId('delegation-banner')).toHaveText(BANNER);
  const session = screen.getByTestId('delegated-session').filter({ hasText: MARIE.name });
  await expect(session).toContainText('Session en cours');
  await expect(session).toContainText('Tablette 3');

  // 8. She records a vaccination; it appears on his screen without a reload.
  await newPatientReady(tab, { nir: NIR, familyName: 'Durand', givenNames: 'Paul', birthDate: '1962-05-20', department: '75' }, true);
  await tab.getByTestId('save').click();
  await expect(tab.getByTestId('recorded')).toContainText('dose 1/2');
  await expect(tab.getByTestId('delegation-banner')).toHaveText(BANNER);

  const entry = session.getByTestId('delegated-entry');
  await expect(entry).toHaveCount(1);
  await expect(entry).toContainText(/Paul DURAND|Paul Durand/i);
  await expect(entry).toContainText('20/05/1962');
  expect(navigations).toEqual([]);
  await expectAccessible(screen);

  // 9. He contests the entry: the reason is required; the tablet is told at once.
  await entry.getByRole('button', { name: 'Contester' }).click();
  const contest = entry.getByRole('button', { name: 'Contester cette saisie' });
  await expect(contest).toBeDisabled();
  await entry.getByLabel(/Raison de la contestation/).fill('Patient absent de la salle');
  await contest.click();
  await expect(entry.getByTestId('entry-contest')).toHaveText(`Contestée par ${JEAN_MARTIN.name} : Patient absent de la salle`);
  // She typed that entry: the notice names its patient.
  await expect(tab.getByTestId('contest-notice')).toContainText(
    new RegExp(`Le ${JEAN_MARTIN.name} a contesté la saisie de Paul (DURAND|Durand) : Patient absent de la salle`, 'i'),
  );

  // 10. "Terminer la session": the tablet is locked within a second, its cookie is dead.
  await session.getByRole('button', { name: 'Terminer la session' }).click();
  await expect(tab.getByTestId('session-locked')).toBeVisible({ timeout: 1_000 });
  await expect(tab.getByTestId('lock-reason')).toHaveText(`Session de saisie déléguée terminée par le ${JEAN_MARTIN.name}.`);
  await expect(tab.getByTestId('dose-form')).toHaveCount(0);
  await expect(session).toContainText('Session terminée');
  const refused = await tab.request.get('/api/vaccination/context');
  expect(refused.status()).toBe(401);
  expect((await tab.request.get('/api/session')).status()).toBe(401);
  await expectAccessible(tab);

  for (const context of contexts) await context.close();
});

test('gestionnaire : déclarer puis retirer un membre du personnel, horaires d\'ouverture', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const desk = await context.newPage();
  await signInCentre(desk);
  const managed = desk.getByTestId('managed-structure');
  // A CPE number no other run used (the card's 10 digits).
  const cpe = `30${String(Date.now()).slice(-8)}`;

  // Declared: a passkey link comes with it, the list shows her without a key yet.
  const declare = managed.getByTestId('declare-staff');
  await declare.getByLabel('Numéro de carte CPE').fill(cpe.slice(0, 8));
  await expect(declare.getByText('10 caractères attendus')).toBeVisible();
  await declare.getByLabel('Numéro de carte CPE').fill(cpe);
  await declare.getByLabel('Prénom').fill('Inès');
  await declare.getByLabel('Nom', { exact: true }).fill('Garcia');
  await declare.getByLabel('Fonction').fill("Agent d'accueil");
  await declare.getByTestId('declare-staff-submit').click();
  await expect(desk.getByTestId('staff-enrolment')).toContainText('Inès Garcia');
  const row = managed.getByTestId('staff-row').filter({ hasText: 'Inès Garcia' });
  await expect(row).toContainText(cpe);
  await expect(row.getByTestId('staff-passkey')).toHaveText('pas encore créée');
  await expect(row.getByTestId('staff-keys-toggle')).toHaveCount(0);

  // Her tablet creates her passkey; the manager lists it, then revokes it (a lost tablet):
  // confirmed in the page first.
  const link = (await desk.getByTestId('staff-enrolment-link').innerText()).trim();
  const tablet = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const tab = await tablet.newPage();
  await addVirtualAuthenticator(tablet, tab);
  await tab.goto(link);
  await tab.getByRole('button', { name: /Créer ma clé d.accès/ }).click();
  await expect(tab.getByTestId('activation-done')).toBeVisible();
  await desk.reload();
  await expect(row.getByTestId('staff-passkey')).toHaveText('créée');
  await row.getByTestId('staff-keys-toggle').click();
  const keys = row.getByTestId('staff-keys');
  await expect(keys.getByTestId('device-row')).toHaveCount(1);
  await expect(keys.getByTestId('device-last-use')).toHaveText('Jamais utilisée');
  await keys.getByTestId('device-remove').click();
  await expect(keys.getByText('Retirer cet appareil ?')).toBeVisible();
  await expectAccessible(desk);
  await keys.getByTestId('device-remove-confirm').click();
  await expect(keys.getByTestId('staff-keys-notice')).toContainText('ne permet plus de se connecter');
  await expect(keys.getByTestId('device-row')).toHaveCount(0);
  await expect(keys).toContainText('Aucune clé d\'accès.');
  await tablet.close();

  // Withdrawn, after a confirmation: the row says since when, and offers nothing more.
  await row.getByTestId('staff-withdraw').click();
  await expect(row.getByRole('group', { name: 'Confirmer le retrait' })).toBeVisible();
  await row.getByTestId('staff-withdraw-confirm').click();
  await expect(row).toContainText('Retiré(e) le');
  await expect(row.getByTestId('staff-withdraw')).toHaveCount(0);

  // Opening hours: a Monday closing before it opens is refused in French; a valid one is kept.
  const hours = managed.getByTestId('hours-form');
  await hours.getByLabel('Ouverture du lundi').fill('19:00');
  await hours.getByLabel('Fermeture du lundi').fill('08:00');
  await hours.getByRole('button', { name: "Enregistrer l'adresse et les horaires" }).click();
  await expect(hours.getByRole('alert')).toContainText("l'heure de fermeture doit suivre l'heure d'ouverture");
  await hours.getByLabel('Ouverture du lundi').fill('09:00');
  await hours.getByLabel('Fermeture du lundi').fill('18:30');
  await hours.getByRole('button', { name: "Enregistrer l'adresse et les horaires" }).click();
  await expect(hours.getByRole('status')).toContainText('Adresse et horaires enregistrés.');
  await desk.reload();
  const again = desk.getByTestId('managed-structure').getByTestId('hours-form');
  await expect(again.getByLabel('Ouverture du lundi')).toHaveValue('09:00');
  await expect(again.getByLabel('Fermeture du lundi')).toHaveValue('18:30');
  // Sunday is closed in the demonstration data: its box is unchecked and it says "fermé".
  await expect(again.getByLabel('Ouvert le dimanche')).not.toBeChecked();
  await expect(again.getByTestId('hours-day').last()).toContainText('Dimanche : fermé');
  await expect(again.getByLabel('Ouverture du dimanche')).toHaveCount(0);
  await expect(again.getByLabel('Ouvert le lundi')).toBeChecked();
  await expectAccessible(desk);
  await context.close();
});
