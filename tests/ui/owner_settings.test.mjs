// Settings → Webhooks (the listener's address and port, the public address's
// state with Stop, Restart and its setup), a UniPile account's poll intervals
// in Settings → Accounts, and Settings → Export and import, in headless
// Chromium against the built UI (ui/dist), in both themes; the IPC is mocked
// with answers recorded from the real handlers
// (tests/ui/fixtures/owner_settings.json, src-tauri/app/owner_settings_tests.rs).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressFixtures as pa, browserSuite, calls, ownerFixtures as ow } from './harness.mjs';

const app = browserSuite();
const shots = process.env.WICKET_SCREENSHOTS;

async function openSettings(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('switch', { name: 'Notify me of new messages' }).waitFor();
  return dialog;
}

describe('Settings → Webhooks', () => {
  test('the recorded answers say what the section needs', () => {
    assert.deepEqual(ow.webhook_listener, { enabled: false, address: '127.0.0.1', port: 8765, listening: null, warning: null, applies: 'start' });
    assert.match(ow.set_webhook_listener_open.warning, /reachable from other machines/);
    assert.match(ow.set_webhook_listener_invalid.message, /ADDR:PORT/);
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`the listener is switched on and moved at once, with a warning for an address other machines reach (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const dialog = await openSettings(page);
      const section = dialog.getByRole('region', { name: 'Webhooks' });
      const on = section.getByRole('switch', { name: 'Receive webhooks on this computer' });
      await on.waitFor();
      assert.equal(await on.isChecked(), false, 'off, as recorded');
      assert.equal(await section.getByLabel('Address').inputValue(), '127.0.0.1');
      assert.equal(await section.getByLabel('Port').inputValue(), '8765');
      assert.equal(await section.getByLabel('Port').isDisabled(), true, 'nothing to edit while off');
      assert.match(await section.getByRole('status').first().textContent(), /Off: no webhook reaches this computer/);

      await on.check();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'set_webhook_listener'));
      assert.deepEqual((await calls(page, 'set_webhook_listener'))[0].args, { enabled: true, address: '127.0.0.1', port: 8765 }, 'applied at once');

      await section.getByLabel('Address').fill('0.0.0.0');
      await section.getByLabel('Port').fill('8080');
      await section.getByRole('button', { name: 'Apply' }).click();
      const warning = section.getByRole('note', { name: 'Warning' });
      await warning.waitFor();
      assert.equal((await warning.textContent()).trim(), ow.set_webhook_listener_open.warning, "the core's warning, word for word");
      assert.deepEqual((await calls(page, 'set_webhook_listener')).at(-1).args, { enabled: true, address: '0.0.0.0', port: 8080 });
      const colour = await warning.evaluate((e) => getComputedStyle(e).color);
      assert.notEqual(colour, await section.locator('.settings-help').first().evaluate((e) => getComputedStyle(e).color), 'the warning stands out');
      if (shots) {
        await section.scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${shots}/settings-webhooks-${colorScheme}.png` });
      }

      await section.getByLabel('Address').fill('my laptop');
      await section.getByRole('button', { name: 'Apply' }).click();
      const alert = section.getByRole('alert');
      await alert.waitFor();
      assert.equal(await alert.textContent(), ow.set_webhook_listener_invalid.message, "the core's refusal");
      assert.equal(await warning.count(), 1, 'the stored address (and its warning) stay');

      await section.getByLabel('Address').fill('127.0.0.1');
      await section.getByRole('button', { name: 'Apply' }).click();
      await warning.waitFor({ state: 'detached' });
      assert.equal(await alert.count(), 0, 'the refusal goes with the next good change');
    });
  }

  test('the public address: its state, last check and tunnel, with Restart and Stop', async () => {
    const page = await app({ address: 'unreachable', addressDelay: 'held' });
    const dialog = await openSettings(page);
    const section = dialog.getByRole('region', { name: 'Webhooks' });
    const state = section.locator('.webhook-address');
    await state.waitFor();
    assert.match(await state.textContent(), /State\s*Not reachable/);
    assert.ok((await state.textContent()).includes(pa.status_unreachable.via), 'the tunnel kind');
    assert.ok((await state.textContent()).includes(pa.status_unreachable.reason), 'why, in plain words');
    assert.doesNotMatch(await state.textContent(), /Not checked yet/, 'the last check time');
    await state.getByRole('button', { name: 'Stop' }).click();
    await state.getByText('Stopped', { exact: true }).waitFor();
    assert.equal(await state.getByRole('button', { name: 'Stop' }).count(), 0, 'nothing left to stop');
    await state.getByRole('button', { name: 'Restart' }).click();
    await state.getByRole('button', { name: 'Restarting…' }).waitFor();
    await page.evaluate(() => window.__releaseRestart());
    await state.getByText(`Reachable at ${pa.public_address_restart.public_url}`).waitFor();
    assert.deepEqual(
      (await page.evaluate(() => window.__calls.map((c) => c.cmd))).filter((c) => c.startsWith('public_address_') && c !== 'public_address_status'),
      ['public_address_stop', 'public_address_restart']
    );
    assert.equal(pa.public_address_restart.can_stop, false, 'the recorded restart is on a fixed address');
    assert.equal(await state.getByRole('button', { name: 'Stop' }).count(), 0, 'a fixed address has no tunnel to stop');
  });

  test('the public address is set up from here: the public-address step, and back', async () => {
    const page = await app();
    const dialog = await openSettings(page);
    const section = dialog.getByRole('region', { name: 'Webhooks' });
    assert.match(await section.locator('.webhook-address').textContent(), /Not set up/);
    await section.getByRole('button', { name: /^Set up the public address/ }).first().click();
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'wizard_public_address'));
    const back = dialog.getByRole('button', { name: 'Back', exact: true });
    await back.waitFor();
    await back.click();
    await dialog.getByRole('region', { name: 'Webhooks' }).waitFor();
  });
});

describe('Settings → Accounts → poll intervals', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`a UniPile account's intervals are shown, refused with the core's reason, and saved (${colorScheme})`, async () => {
      const page = await app({ unipile: true }, { colorScheme });
      const dialog = await openSettings(page);
      const row = dialog.locator('.acct-row', { hasText: ow.unipile_account.name });
      const polling = row.locator('.acct-polling');
      await polling.waitFor();
      assert.equal(await dialog.locator('.acct-polling').count(), 1, 'only the UniPile account polls');
      assert.match(await polling.locator('summary').textContent(), /every 5 s in use, every 20 s idle/);
      await polling.locator('summary').click();
      const form = polling.getByRole('form', { name: `Poll intervals of ${ow.unipile_account.name}` });
      await form.getByLabel('Seconds between checks while in use').fill('30');
      await form.getByLabel('Seconds between checks while idle').fill('10');
      await form.getByRole('button', { name: 'Save intervals' }).click();
      await form.getByRole('alert').waitFor();
      assert.equal(await form.getByRole('alert').textContent(), ow.set_account_polling_invalid.message);
      assert.match(await polling.locator('summary').textContent(), /every 5 s in use/, 'the stored ones stay');
      await form.getByLabel('Seconds between checks while in use').fill('3');
      await form.getByLabel('Seconds between checks while idle').fill('45');
      await form.getByRole('button', { name: 'Save intervals' }).click();
      await form.getByRole('status').waitFor();
      assert.match(await polling.locator('summary').textContent(), /every 3 s in use, every 45 s idle/);
      assert.deepEqual((await calls(page, 'set_account_polling')).at(-1).args, { account_id: ow.unipile_account.id, active_seconds: 3, idle_seconds: 45 });
      if (shots) {
        await polling.scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${shots}/settings-polling-${colorScheme}.png` });
      }
    });
  }
});

describe('Settings → Export and import', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`export writes into the data folder's exports/ and says what was left out; import reports what came in (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const dialog = await openSettings(page);
      const section = dialog.getByRole('region', { name: 'Export and import' });
      await section.getByRole('button', { name: 'Export', exact: true }).click();
      const result = section.getByRole('status').filter({ hasText: 'Exported to' });
      await result.waitFor();
      assert.ok((await result.textContent()).includes(ow.data_export.path), 'where the file is');
      assert.match(await result.textContent(), /Left out: Market stall \(demo accounts are never exported\)/);
      await section.getByRole('radio', { name: /CSV/ }).check();
      await section.getByRole('button', { name: 'Export', exact: true }).click();
      await section.getByText(/wicket-export-.*\.csv/).waitFor();
      assert.deepEqual((await calls(page, 'data_export')).map((c) => c.args), [{ format: 'json' }, { format: 'csv' }]);
      await section.getByRole('button', { name: 'Open folder' }).click();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'open_folder'));
      assert.deepEqual((await calls(page, 'open_folder')).map((c) => c.args), [{ folder: 'exports' }]);

      const text = JSON.stringify({ format: 'wicket-export', version: 1, tables: {} });
      await section.getByLabel('Import an export').setInputFiles({ name: 'wicket-export.json', mimeType: 'application/json', buffer: Buffer.from(text) });
      const came = section.getByRole('status').filter({ hasText: 'Imported:' });
      await came.waitFor();
      const rows = (t) => ow.data_import.find((r) => r.table === t).rows;
      assert.equal(rows('accounts'), 1);
      assert.match(await came.textContent(), new RegExp(`1 account, .*${rows('messages')} messages`));
      assert.deepEqual((await calls(page, 'data_import'))[0].args, { name: 'wicket-export.json', text }, 'the picked file\'s text, no path');
      if (shots) {
        await section.scrollIntoViewIfNeeded();
        await page.screenshot({ path: `${shots}/settings-export-${colorScheme}.png` });
      }
    });
  }

  test("a data folder with accounts is refused with the core's reason; another computer's accounts come in through the wizard's form", async () => {
    const page = await app({ importRefused: true });
    const dialog = await openSettings(page);
    const section = dialog.getByRole('region', { name: 'Export and import' });
    await section.getByLabel('Import an export').setInputFiles({ name: 'wicket-export.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"wicket-export"}') });
    await section.getByRole('alert').waitFor();
    assert.equal(await section.getByRole('alert').textContent(), ow.data_import_refused.message);

    await section.getByRole('button', { name: "Import another computer's accounts" }).click();
    const form = dialog.getByRole('form', { name: 'Import from another computer' });
    await form.waitFor();
    await form.getByLabel('The export').setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"wicket-export"}') });
    await form.getByRole('button', { name: 'Import the accounts' }).click();
    const done = dialog.getByRole('status').filter({ hasText: /^Imported (one account|\d+ accounts)/ });
    await done.waitFor();
    assert.equal((await calls(page, 'wizard_import_export')).length, 1, "the wizard's command, not a copy");
  });
});
