// The vault passphrase on a computer without a keychain, in headless Chromium
// against the built UI (ui/dist), the IPC mocked with answers recorded from
// the real handlers (tests/ui/fixtures/vault.json, src-tauri/app/vault_tests.rs):
// every launch asks to unlock the vault instead of saying "Not sending"; the
// first account that keeps secrets asks to create one, with a strength hint
// and a warning that a lost passphrase cannot be recovered, then is saved.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, VAULT_PASSPHRASE, vaultFixtures as vf } from './harness.mjs';

const app = browserSuite();
const dialog = (page) => page.getByRole('dialog');
const shot = (page, name) => process.env.WICKET_SCREENSHOTS && page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/${name}.png` });

/** The wizard's WASender step: test the key, then save. */
async function addWasender(page) {
  await page.getByRole('button', { name: /^WASender/ }).click();
  await page.getByLabel('API key').fill('ws-good-key');
  await page.getByRole('button', { name: 'Test connection' }).click();
  await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  await page.getByRole('button', { name: 'Save and continue' }).click();
}

describe('vault passphrase', () => {
  test('the recorded answers say what the dialog needs', () => {
    assert.deepEqual(vf.app_info_needs_passphrase.engine, { state: 'needs_passphrase', vault_exists: true });
    assert.equal(vf.passphrase_needed.code, 'passphrase_needed');
    assert.equal(vf.unlock_vault_wrong.code, 'passphrase_wrong');
    assert.equal(vf.passphrase_strength_weak.acceptable, false);
    assert.equal(vf.passphrase_strength_strong.acceptable, true);
  });

  test('a launch with a locked vault asks to unlock it; a wrong passphrase says so; the right one starts sending', async () => {
    const page = await app({ vault: 'unlock' });
    const d = dialog(page);
    await d.getByRole('heading', { name: 'Unlock your vault' }).waitFor();
    assert.equal(await d.getAttribute('aria-modal'), 'true');
    const field = d.getByLabel('Passphrase', { exact: true });
    assert.equal(await field.evaluate((el) => el === document.activeElement), true, 'focus starts in the field');
    assert.equal(await field.getAttribute('type'), 'password');
    assert.equal(await d.getByText('Nobody can recover').count(), 0, 'the warning is for creating one');

    await field.fill('copper lantern orbit meadows');
    await d.getByRole('button', { name: 'Unlock' }).click();
    const alert = d.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), vf.unlock_vault_wrong.message);
    assert.equal(await field.inputValue(), '', 'the wrong passphrase is cleared');

    await field.fill(VAULT_PASSPHRASE);
    await field.press('Enter');
    await d.waitFor({ state: 'detached' });
    await page.locator('.engine-running').waitFor();
    assert.match(await page.locator('.engine').textContent(), /Sending and receiving/);
    const unlocks = await calls(page, 'unlock_vault');
    assert.deepEqual(unlocks.map((c) => c.args.create), [false, false]);
  });

  test('"Not now" leaves a locked note with an Unlock button that opens the dialog again', async () => {
    const page = await app({ vault: 'unlock' });
    await dialog(page).getByRole('button', { name: 'Not now' }).click();
    await dialog(page).waitFor({ state: 'detached' });
    const note = page.locator('.engine-needs_passphrase');
    assert.match(await note.textContent(), /Not sending: the vault is locked/);
    await note.getByRole('button', { name: 'Unlock' }).click();
    await dialog(page).getByRole('heading', { name: 'Unlock your vault' }).waitFor();
  });

  test('the first account with keys asks to create the vault: strength hint, repeat, a plain warning; then it is saved', async () => {
    const page = await app({ noAccounts: true, vault: 'create' }, { ready: '.wizard' });
    await addWasender(page);

    const d = dialog(page);
    await d.getByRole('heading', { name: 'Protect your accounts’ keys' }).waitFor();
    assert.match(await d.textContent(), /Nobody can recover a lost passphrase/);
    const create = d.getByRole('button', { name: 'Create vault' });
    assert.equal(await create.isDisabled(), true);

    await d.getByLabel('New passphrase').fill('password1');
    await d.getByText(vf.passphrase_strength_weak.hint).waitFor();
    assert.match(await d.locator('.vault-strength').textContent(), /^Very weak\./);
    await d.getByLabel('Repeat the passphrase').fill('password1');
    assert.equal(await create.isDisabled(), true, 'a weak passphrase cannot create the vault');

    await d.getByLabel('New passphrase').fill(VAULT_PASSPHRASE);
    await d.getByText(vf.passphrase_strength_strong.hint).waitFor();
    await d.getByText('The two passphrases differ.').waitFor();
    assert.equal(await create.isDisabled(), true, 'the two must match');
    await d.getByLabel('Repeat the passphrase').fill(VAULT_PASSPHRASE);
    assert.equal(await create.isDisabled(), false);
    await shot(page, 'vault-create-light');
    await create.click();
    await d.waitFor({ state: 'detached' });

    // The wizard's save ran again and went through.
    await page.getByRole('heading', { name: /Getting your inbox ready|All set/ }).waitFor();
    assert.equal((await calls(page, 'wizard_add_wasender')).length, 2);
    assert.deepEqual((await calls(page, 'unlock_vault')).map((c) => c.args), [{ passphrase: VAULT_PASSPHRASE, create: true }]);
  });

  test('both dialogs in both themes (screenshots for review)', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const page = await app({ vault: 'unlock' }, { colorScheme });
      await dialog(page).getByRole('heading', { name: 'Unlock your vault' }).waitFor();
      await shot(page, `vault-unlock-${colorScheme}`);
      const created = await app({ noAccounts: true, vault: 'create' }, { ready: '.wizard', colorScheme });
      await addWasender(created);
      await dialog(created).getByLabel('New passphrase').fill('password1');
      await dialog(created).getByText(vf.passphrase_strength_weak.hint).waitFor();
      await shot(created, `vault-create-weak-${colorScheme}`);
    }
  });
});
