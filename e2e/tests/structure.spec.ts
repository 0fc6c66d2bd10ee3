// "Espace structure": a structure's password account — identifier and password, the code
// received by SMS (read in the operator's outbox), then, for a provisional password, a new one.
//
// The demonstration account's password is never changed here (other tests sign in with it),
// and the server clock is not moved: the password-change scenario uses an account of its own,
// created with a provisional password as the operator's command does (the API tests cover the
// expiry after six months).
import { expect, ownServer, test } from './fixtures';
import { CENTRE_ACCOUNT, createStructureAccount, expectAccessible, smsSignInCode } from './helpers';

ownServer();

test('un mot de passe erroné affiche le message du serveur, un identifiant mal formé ne part pas', async ({ page }) => {
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto('/structure');
  const identifier = page.getByLabel(/Identifiant \(FINESS ou n° Assurance Maladie\)/);
  const password = page.getByLabel('Mot de passe', { exact: true });
  const submit = page.getByRole('button', { name: 'Se connecter', exact: true });

  // An e-mail address is not an identifier: said at once, and never sent.
  await identifier.fill('centre@melun.fr');
  await password.fill('un mot de passe');
  await expect(page.getByText(/Identifiant de compte : 9 caractères attendus/)).toBeVisible();
  await expect(submit).toBeDisabled();
  expect(requests.filter((u) => u.includes('/api/accounts'))).toHaveLength(0);

  await identifier.fill(CENTRE_ACCOUNT.identifier);
  await password.fill('Ce nest pas le bon mot de passe');
  await submit.click();
  await expect(page.getByRole('alert')).toContainText('Identifiant ou mot de passe incorrect');
  await expect(page.getByRole('banner')).toContainText('Non connecté');
});

test('connexion au compte de la structure : mot de passe, code SMS, puis le compte', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('main').getByRole('link', { name: 'Espace structure' }).click();
  await expect(page).toHaveURL(/\/structure$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Espace structure');

  // Spaces as people type them to group digits.
  await page.getByLabel(/Identifiant \(FINESS/).fill('770 012 342');
  await page.getByLabel('Mot de passe', { exact: true }).fill(CENTRE_ACCOUNT.password);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();

  // The password alone opens nothing: the header does not say "Connecté".
  const banner = page.getByRole('banner');
  await expect(banner).toContainText('code SMS attendu');
  await expect(banner).not.toContainText('Connecté');
  const codeField = page.getByLabel('Code reçu par SMS');
  await expect(codeField).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(codeField).toHaveAttribute('inputmode', 'numeric');
  await expectAccessible(page);

  // A wrong code: the server's message, and the code can be typed again.
  const code = smsSignInCode(CENTRE_ACCOUNT.mobile);
  await codeField.fill(code === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page.getByRole('alert')).toContainText('ne correspond pas au code reçu par SMS');

  await codeField.fill(code);
  await page.getByRole('button', { name: 'Valider' }).click();
  await expect(page.getByTestId('structure-name')).toHaveText(CENTRE_ACCOUNT.structure);
  const profile = page.getByTestId('account-profile');
  await expect(profile).toContainText(CENTRE_ACCOUNT.identifier);
  await expect(profile).toContainText('2 rue du Château, 77000 Melun');
  await expect(page.getByTestId('password-expiry')).toContainText(/Mot de passe à renouveler avant le \d{1,2} \S+ \d{4}/);
  await expect(banner).toContainText(`Connecté : ${CENTRE_ACCOUNT.name}`);

  // "Mes sessions" works for a structure account too.
  await page.getByRole('main').getByRole('link', { name: 'Mes sessions' }).click();
  await expect(page.getByTestId('session-row')).toContainText('Mot de passe et code SMS');

  // Signing out comes back to the account's sign-in form.
  await page.getByTestId('sign-out').click();
  await expect(page).toHaveURL(/\/structure$/);
  await expect(page.getByLabel(/Identifiant \(FINESS/)).toBeVisible();
  await expect(banner).toContainText('Non connecté');
});

test('un mot de passe provisoire doit être remplacé avant d’accéder au compte', async ({ page }) => {
  const account = { finess: CENTRE_ACCOUNT.identifier, identifier: '771234561', name: 'Accueil du centre', mobile: '+33 6 70 00 56 78' };
  const provisional = createStructureAccount(account);

  await page.goto('/structure');
  await page.getByLabel(/Identifiant \(FINESS/).fill(account.identifier);
  await page.getByLabel('Mot de passe', { exact: true }).fill(provisional);
  await page.getByRole('button', { name: 'Se connecter', exact: true }).click();
  // The code is read once the server has answered (and sent it).
  const codeField = page.getByLabel('Code reçu par SMS');
  await expect(codeField).toBeVisible();
  await codeField.fill(smsSignInCode(account.mobile));
  await page.getByRole('button', { name: 'Valider' }).click();

  // Why, and the rules, before the fields.
  await expect(page.getByTestId('password-change-reason')).toContainText('mot de passe provisoire');
  await expect(page.getByTestId('password-policy')).toContainText('au moins 12 caractères');
  await expect(page.getByTestId('password-policy')).toContainText('12 derniers mots de passe');
  await expect(page.getByRole('banner')).toContainText('nouveau mot de passe attendu');
  await expect(page.getByRole('banner')).not.toContainText('Connecté');
  await expectAccessible(page);

  const current = page.getByLabel('Mot de passe actuel');
  const fresh = page.getByLabel('Nouveau mot de passe', { exact: true });
  const confirm = page.getByLabel('Confirmer le nouveau mot de passe');
  const submit = page.getByRole('button', { name: 'Changer le mot de passe' });
  await current.fill(provisional);

  // The confirmation is checked here; it must match.
  await fresh.fill('Quatre hérons gris traversent la Seine');
  await confirm.fill('Quatre hérons gris traversent la Loire');
  await expect(page.getByText('ne correspondent pas')).toBeVisible();
  await expect(submit).toBeDisabled();

  // Too easy to guess: the server says so.
  await fresh.fill('azertyuiop12');
  await confirm.fill('azertyuiop12');
  await submit.click();
  await expect(page.getByRole('alert')).toContainText('trop facile à deviner');

  await fresh.fill('Quatre hérons gris traversent la Seine');
  await confirm.fill('Quatre hérons gris traversent la Seine');
  await submit.click();
  await expect(page.getByTestId('password-changed')).toBeVisible();
  await expect(page.getByTestId('structure-name')).toHaveText(CENTRE_ACCOUNT.structure);
  await expect(page.getByTestId('account-profile')).toContainText(account.name);
  await expect(page.getByRole('banner')).toContainText(`Connecté : ${account.name}`);
});
