import { type Page } from '@playwright/test';
import { expect, ownServer, test } from './fixtures';
import { appLoaded, doctorTablet, expectAccessible } from './helpers';

ownServer();

// Valid keys (97 − first 13 digits mod 97), patients no other spec uses.
const EMPTY_FORM_NIR = '290077512345604'; // a woman born in July 1990
const DRAFT_NIR = '165116912378908'; // a man born in November 1965
const SIGN_OUT_NIR = '272036945612357'; // a woman born in March 1972

async function openForm(page: Page, nir: string): Promise<void> {
  await page.goto('/vaccination');
  await page.getByTestId('nir').fill(nir);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('dose-form')).toBeVisible();
}

/** Vigie's drafts in this tab's session storage, and anything draft-like in local storage. */
async function storedDrafts(page: Page): Promise<{ session: string[]; local: string[] }> {
  return page.evaluate(() => ({
    session: Object.keys(sessionStorage).filter((k) => k.startsWith('vigie.draft.item.')),
    local: Object.keys(localStorage).filter((k) => k.includes('draft')),
  }));
}

const MISSING = [
  ['family-name', 'Indiquez le nom de naissance.'],
  ['given-names', 'Indiquez le ou les prénoms.'],
  ['birth-date', 'Indiquez la date de naissance.'],
  ['department', 'Indiquez le département de résidence.'],
  ['eligible', 'Cochez « Éligible à la vaccination » (sinon, choisissez une autre décision).'],
  ['consent', 'Cochez « Consentement recueilli ».'],
  ['product', 'Choisissez le vaccin : il est proposé une fois la date de naissance indiquée.'],
  ['lot', 'Choisissez le lot.'],
] as const;

test('formulaire vide : tout ce qui manque à la fois, en tête et à chaque champ ; le bouton dit pourquoi', async ({ context, page }) => {
  await doctorTablet(context, page);
  await openForm(page, EMPTY_FORM_NIR);
  await expect(page.getByText('Nouveau patient')).toBeVisible();

  // Greyed, never silently: the text under it (its description) says what is missing.
  const save = page.getByTestId('save');
  const hint = page.getByTestId('save-hint');
  const missing =
    'Il manque : nom de naissance, prénom(s), date de naissance, département de résidence, éligibilité, consentement, vaccin, lot.';
  await expect(save).toBeDisabled();
  await expect(hint).toHaveText(missing);
  await expect(save).toHaveAccessibleDescription(missing);
  await expect(page.getByTestId('dose-error')).toHaveCount(0);
  await expect(page.getByTestId('field-problem')).toHaveCount(0);

  // Pressed anyway (a finger on the grey button): every problem at once, in a summary that
  // is announced and takes the focus, and next to each field.
  await save.click({ force: true });
  const summary = page.getByTestId('dose-error');
  await expect(summary).toBeFocused();
  await expect(summary).toHaveAttribute('role', 'alert');
  await expect(summary).toContainText('Rien n\'est enregistré : 8 points à compléter ou corriger.');
  const items = page.getByTestId('dose-problems').locator('li');
  await expect(items).toHaveCount(MISSING.length);
  await expect(items).toHaveText(MISSING.map(([, text]) => text));
  await expect(page.getByTestId('field-problem')).toHaveCount(MISSING.length);
  for (const [testId, text] of MISSING) {
    const field = page.getByTestId(testId);
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(text);
  }
  await expect(page.getByTestId('recorded')).toHaveCount(0);
  await expectAccessible(page);

  // A line of the summary leads to its field.
  await items.nth(1).getByRole('link').click();
  await expect(page.getByTestId('given-names')).toBeFocused();

  // Each message goes as its field is filled; the button follows.
  await page.getByTestId('family-name').fill('Roussel');
  await page.getByTestId('given-names').fill('Anne');
  await page.getByTestId('birth-date').fill('1990-07-08');
  await page.getByTestId('department').fill('75');
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await expect(page.getByTestId('field-problem')).toHaveCount(2);
  await expect(page.getByTestId('family-name')).toHaveAttribute('aria-invalid', 'false');
  await expect(hint).toHaveText('Il manque : éligibilité, consentement.');
  await page.getByTestId('eligible').check();
  await page.getByTestId('consent').check();
  await expect(page.getByTestId('field-problem')).toHaveCount(0);
  await expect(save).toBeEnabled();
  await expect(hint).toHaveText('Tout est renseigné : la saisie peut être enregistrée.');

  // A wrong value (not a missing one) leaves the button pressable and is said on the press.
  await page.getByTestId('department').fill('20');
  await expect(hint).toHaveText('À corriger : département de résidence.');
  await expect(save).toBeEnabled();
  await save.click();
  await expect(summary).toBeFocused();
  await expect(items).toHaveText(['Département de résidence invalide : 2 chiffres (ou 2A/2B), 3 chiffres outre-mer (971…).']);
  await expect(page.getByTestId('department')).toHaveAttribute('aria-invalid', 'true');
  await page.getByTestId('department').fill('2A');
  await save.click();
  await expect(page.getByTestId('recorded')).toContainText('Anne ROUSSEL');
});

test('brouillon : retrouvé après rechargement, effacé une fois enregistré ; « Patient suivant » puis Retour ne montre plus personne', async ({ context, page }) => {
  await doctorTablet(context, page);
  await openForm(page, DRAFT_NIR);
  await expect(page.getByText('Nouveau patient')).toBeVisible();

  // Half a form.
  await page.getByTestId('family-name').fill('Garnier');
  await page.getByTestId('given-names').fill('Luc');
  await page.getByTestId('birth-date').fill('1965-11-20');
  await page.getByTestId('eligible').check();
  await expect(page.getByTestId('lot')).not.toHaveValue('');
  await expect.poll(async () => (await storedDrafts(page)).session).toHaveLength(1);
  expect((await storedDrafts(page)).local).toEqual([]);

  // Reloading asks first (the browser's own question), then the form comes back as it was.
  const asked: string[] = [];
  page.once('dialog', (dialog) => {
    asked.push(dialog.type());
    void dialog.accept();
  });
  await page.reload();
  expect(asked).toEqual(['beforeunload']);
  await expect(page.getByTestId('dose-form')).toBeVisible();
  await expect(page.getByTestId('family-name')).toHaveValue('Garnier');
  await expect(page.getByTestId('given-names')).toHaveValue('Luc');
  await expect(page.getByTestId('birth-date')).toHaveValue('1965-11-20');
  await expect(page.getByTestId('department')).toHaveValue('');
  await expect(page.getByTestId('eligible')).toBeChecked();
  await expect(page.getByTestId('consent')).not.toBeChecked();
  await expect(page.getByTestId('lot')).not.toHaveValue('');

  // Saved: the draft is gone.
  await page.getByTestId('department').fill('69');
  await page.getByTestId('consent').check();
  await page.getByTestId('save').click();
  await expect(page.getByTestId('recorded')).toContainText('Luc GARNIER');
  expect((await storedDrafts(page)).session).toEqual([]);

  // "Patient suivant", then the browser's Back (and Forward): the previous patient's file and
  // recap never come back.
  await page.getByTestId('next-patient').click();
  await expect(page.getByTestId('nir')).toBeFocused();
  await page.goBack();
  await expect(page.getByText(/GARNIER/i)).toHaveCount(0);
  await expect(page.getByTestId('dose-form')).toHaveCount(0);
  await expect(page.getByTestId('recorded')).toHaveCount(0);
  await page.goForward();
  await expect(page.getByTestId('nir')).toBeVisible();
  await expect(page.getByText(/GARNIER/i)).toHaveCount(0);
  await expect(page.getByTestId('recorded')).toHaveCount(0);

  // A reload now shows an empty search, no form.
  await page.reload();
  await expect(page.getByTestId('nir')).toHaveValue('');
  await expect(page.getByTestId('dose-form')).toHaveCount(0);
  await expectAccessible(page);

  // The same patient again: a returning patient, nothing left over from the draft.
  await page.getByTestId('nir').fill(DRAFT_NIR);
  await page.getByTestId('nir').press('Enter');
  await expect(page.getByTestId('patient-name')).toHaveText('Luc GARNIER');
  await expect(page.getByTestId('eligible')).not.toBeChecked();
  await expect(page.getByTestId('consent')).not.toBeChecked();

  // Cancelling a half-typed form (after saying yes) wipes its draft.
  await page.getByTestId('eligible').check();
  await expect.poll(async () => (await storedDrafts(page)).session).toHaveLength(1);
  page.once('dialog', (dialog) => void dialog.accept());
  await page.getByRole('button', { name: 'Annuler' }).click();
  await expect(page.getByTestId('nir')).toBeVisible();
  expect((await storedDrafts(page)).session).toEqual([]);

  // Signing out wipes every draft of the tab.
  await openForm(page, SIGN_OUT_NIR);
  await page.getByTestId('family-name').fill('Perrin');
  await expect.poll(async () => (await storedDrafts(page)).session).toHaveLength(1);
  await page.getByTestId('sign-out').click();
  // Signing out leads to /connexion, a page of the hall app: a full page load, awaited before
  // reading the tab's storage.
  await appLoaded(page, 'hall');
  await expect(page).toHaveURL(/\/connexion$/);
  await expect(page.getByTestId('sign-in-link')).toBeVisible();
  expect((await storedDrafts(page)).session).toEqual([]);
});
