// Settings → Backups and the contact panel's customer data requests in
// headless Chromium against the built UI, with the answers recorded from the
// real handlers on the sample inbox (tests/ui/fixtures/backups.json): back
// up now, the schedule, the list, a restore refused for a wrong passphrase
// and done after the confirmation; a customer's export, and their erase
// behind a confirmation that names them. Both themes, screenshots on request.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VAULT_PASSPHRASE, backupFixtures as bu, browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');

async function openBackups(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  const section = dialog.getByRole('region', { name: 'Backups' });
  await section.getByRole('button', { name: 'Back up now' }).waitFor();
  return section;
}

describe('backups in Settings', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`back up now, the schedule and the list (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const section = await openBackups(page);
      const now = section.getByRole('button', { name: 'Back up now' });
      assert.equal(await now.isDisabled(), true, 'no backup without a passphrase');
      await section.getByText(/No backups in .*backups yet/).waitFor(); // the status has come
      await section.getByLabel('Passphrase for this backup').fill(VAULT_PASSPHRASE);
      await section.getByLabel('Include account secrets (access tokens and keys)').check();
      await now.click();
      await section.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
      const [create] = await calls(page, 'backup_create');
      assert.deepEqual(create.args, { out: '', passphrase: VAULT_PASSPHRASE, with_secrets: true });
      assert.match(await section.getByRole('status').textContent(), new RegExp(`${bu.backup_create.counts.messages} messages`));
      assert.equal(await section.locator('.backup-item').count(), bu.backup_status.backups.length);

      // The schedule: on, then a passphrase for it.
      await section.getByRole('switch', { name: 'Back up automatically' }).check();
      await section.getByText('Scheduled backups need a passphrase').waitFor();
      await section.getByLabel('Passphrase for scheduled backups').fill('another long passphrase here');
      await section.getByRole('button', { name: 'Save passphrase' }).click();
      await section.getByLabel('Passphrase (stored; type to change it)').waitFor();
      const saved = (await calls(page, 'backup_set_schedule')).map((c) => c.args);
      assert.equal(saved[0].enabled, true);
      assert.equal(saved[0].passphrase, undefined);
      assert.equal(saved.at(-1).passphrase, 'another long passphrase here');
      assert.match(await section.textContent(), /Daily, while Wicket runs; the last 7 are kept/);
      if (process.env.WICKET_SCREENSHOTS) await section.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/backups-${colorScheme}.png` });
    });
  }

  test('a restore asks for the passphrase, then confirms what it replaces', async () => {
    const page = await app();
    const section = await openBackups(page);
    await section.getByLabel('Passphrase for this backup').fill(VAULT_PASSPHRASE);
    await section.getByRole('button', { name: 'Back up now' }).click();
    await section.locator('.backup-item').first().getByRole('button', { name: 'Restore…' }).click();
    const form = section.getByRole('group', { name: 'Restore a backup' });
    await form.getByLabel('Backup passphrase').fill('not it');
    await form.getByRole('button', { name: 'Restore…' }).click();
    const confirm = form.getByRole('alertdialog', { name: 'Replace this inbox with the backup?' });
    assert.match(await confirm.textContent(), /replaces every account, conversation, message and media file/);
    if (process.env.WICKET_SCREENSHOTS) await form.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/backup-restore-confirm.png` });
    await confirm.getByRole('button', { name: 'Replace and restore' }).click();
    await form.getByRole('alert').filter({ hasText: bu.backup_restore_wrong_passphrase.message }).waitFor();
    await form.getByLabel('Backup passphrase').fill(VAULT_PASSPHRASE);
    await form.getByRole('button', { name: 'Restore…' }).click();
    await confirm.getByRole('button', { name: 'Replace and restore' }).click();
    await section.getByRole('status').filter({ hasText: 'Restored the backup' }).waitFor();
    const restores = (await calls(page, 'backup_restore')).map((c) => c.args);
    assert.equal(restores.length, 2, 'nothing was asked before the confirmation');
    assert.deepEqual(restores[1], { file: bu.backup_status.backups[0].path, passphrase: VAULT_PASSPHRASE, force: true });
    assert.match(await section.getByRole('status').textContent(), new RegExp(`${bu.backup_restore.restored.messages} messages`));
  });
});

describe("a customer's data from the contact panel", () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`export, and erase behind a confirmation that names them (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      await openChat(page, PRIYA);
      await page.getByRole('button', { name: 'Contact info' }).click();
      const panel = page.locator('.contact-panel');
      await panel.getByRole('button', { name: "Export this customer's data" }).click();
      await panel.getByRole('status').filter({ hasText: bu.contact_export.path }).waitFor();
      assert.deepEqual((await calls(page, 'contact_export'))[0].args, { contact_id: PRIYA.contact_id, out: '' });

      await panel.getByRole('button', { name: 'Erase this customer' }).click();
      const confirm = panel.getByRole('alertdialog', { name: `Erase ${PRIYA.display_name}?` });
      assert.match(await confirm.textContent(), new RegExp(`Erase ${PRIYA.display_name} \\(${PRIYA.phone.replace(/[+]/g, '\\+')}\\) completely\\?`));
      if (process.env.WICKET_SCREENSHOTS) {
        await confirm.scrollIntoViewIfNeeded();
        await panel.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/customer-erase-${colorScheme}.png` });
      }
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await calls(page, 'contact_erase')).length, 0, 'cancel erases nothing');
      await panel.getByRole('button', { name: 'Erase this customer' }).click();
      await confirm.getByRole('button', { name: `Erase ${PRIYA.display_name}` }).click();
      await panel.waitFor({ state: 'detached' });
      await page.locator('.no-chat').waitFor(); // the erased customer's chat is closed
      assert.deepEqual((await calls(page, 'contact_erase'))[0].args, { contact_id: PRIYA.contact_id });
    });
  }
});
