// The setup wizard in headless Chromium against the built UI (ui/dist), the
// Tauri IPC mocked with the wizard's answers recorded from the real handlers
// (tests/ui/fixtures/wizard.json, src-tauri/app/tests.rs).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures as fx, wizardFixtures as wz } from './harness.mjs';

const app = browserSuite();

async function firstLaunch(options = {}, view = {}) {
  return app({ noAccounts: true, ...options }, { ready: '.wizard', ...view });
}

async function fillMeta(page, token = 'EAAG-typed-token') {
  await page.getByLabel('Phone number ID').fill('123456789012345');
  await page.getByLabel('WhatsApp Business account ID').fill('987654321098765');
  await page.getByLabel('Access token').fill(token);
  await page.getByLabel('App secret').fill('typed-app-secret');
}

describe('setup wizard', () => {
  test('a first launch shows the wizard, not an empty inbox', async () => {
    const page = await firstLaunch();
    await page.getByRole('heading', { name: 'Connect a WhatsApp number' }).waitFor();
    for (const name of ['WhatsApp Cloud API (Meta)', 'WASender', 'UniPile', 'Try the demo', 'Import a .env file']) {
      assert.equal(await page.getByRole('button', { name }).count(), 1, `the welcome step offers ${name}`);
    }
    assert.equal(await page.locator('.conv, .rail').count(), 0, 'no inbox behind it');
  });

  test('the Meta form explains every field; a refused test shows the reason and what to do', async () => {
    const page = await firstLaunch({ metaRefused: true });
    await page.getByRole('button', { name: /WhatsApp Cloud API/ }).click();
    await page.getByRole('heading', { name: 'WhatsApp Cloud API (Meta)' }).waitFor();
    const help = async (label) => {
      const input = page.getByLabel(label, { exact: true });
      const id = await input.getAttribute('aria-describedby');
      return page.locator(`#${id}`).textContent();
    };
    assert.match(await help('Phone number ID'), /WhatsApp Manager → API setup/);
    assert.match(await help('WhatsApp Business account ID'), /API setup/);
    assert.match(await help('Access token'), /System User token: Business Settings/);
    assert.match(await help('App secret'), /App Dashboard → App settings → Basic/);
    assert.match(await help('Webhook verify token (optional)'), /Leave it empty and Wicket makes a strong one/);
    assert.equal(await page.getByLabel('Access token').getAttribute('type'), 'password', 'secrets are not shown as typed');
    assert.ok(await page.getByLabel('Phone number ID').evaluate((e) => e === document.activeElement), 'the first field has the focus');

    const save = page.getByRole('button', { name: 'Save and continue' });
    assert.ok(await save.isDisabled(), 'nothing is saved before a test');
    await fillMeta(page, 'bad');
    await page.getByRole('button', { name: 'Test connection' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), new RegExp(wz.wizard_test_meta_refused.message.slice(0, 40)));
    assert.match(await alert.textContent(), /Generate new token/, 'it says what to do');
    assert.ok(await save.isDisabled(), 'a refused test does not allow saving');
    assert.equal((await calls(page, 'wizard_add_meta')).length, 0);
  });

  test('a passing test, then saving, creates the account with the typed values, syncs with a progress bar, then opens the inbox', async () => {
    const page = await firstLaunch({ syncDelay: 300 });
    await page.getByRole('button', { name: /WhatsApp Cloud API/ }).click();
    await fillMeta(page);
    // The keyboard works: Enter in a field tests the connection.
    await page.getByLabel('App secret').press('Enter');
    const ok = page.getByRole('status').filter({ hasText: 'Connected' });
    await ok.waitFor();
    assert.match(await ok.textContent(), /Corner Bakery/);
    assert.match(await ok.textContent(), /\+447700900123 · quality rating GREEN/);
    const tested = await calls(page, 'wizard_test_meta');
    assert.equal(tested.length, 1);
    assert.equal(await page.getByLabel('Name in Wicket (optional)').inputValue(), 'Corner Bakery', 'the verified name fills an empty name');

    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Getting your inbox ready' }).waitFor();
    const [saved] = await calls(page, 'wizard_add_meta');
    assert.deepEqual(saved.args, {
      phone_number_id: '123456789012345',
      business_account_id: '987654321098765',
      token: 'EAAG-typed-token',
      app_secret: 'typed-app-secret',
      name: 'Corner Bakery',
    });
    const bar = page.getByRole('progressbar');
    assert.equal(await bar.count(), 1, 'the first sync shows a progress bar');
    await page.getByText('Syncing: Message templates…').waitFor();
    await page.getByRole('heading', { name: 'All set' }).waitFor();
    assert.equal(await bar.getAttribute('value'), '100');
    assert.deepEqual((await calls(page, 'wizard_first_sync')).map((c) => c.args), [{ account_id: wz.wizard_add_meta.account.id }]);
    assert.equal(await page.locator('.wizard-webhook code').first().textContent(), `/webhooks/meta/${wz.wizard_add_meta.account.id}`);
    assert.equal(await page.locator('.wizard-token').textContent(), wz.wizard_add_meta.verify_token, 'the generated verify token is shown once');

    const open = page.getByRole('button', { name: 'Open the inbox' });
    assert.ok(await open.evaluate((e) => e === document.activeElement), 'the way on has the focus');
    await page.keyboard.press('Enter');
    await page.locator('.rail').waitFor();
    await page.locator('.conv').first().waitFor();
    assert.equal(await page.locator('.wizard').count(), 0);
  });

  test('"Try the demo" creates the demo account and opens the inbox', async () => {
    const page = await firstLaunch();
    await page.getByRole('button', { name: 'Try the demo' }).click();
    await page.getByRole('heading', { name: 'All set' }).waitFor();
    assert.equal((await calls(page, 'wizard_add_demo')).length, 1);
    assert.deepEqual((await calls(page, 'wizard_first_sync')).map((c) => c.args), [{ account_id: wz.wizard_add_demo.id }]);
    assert.match(await page.locator('.wizard-steps').textContent(), /Contacts: 6/);
    await page.getByRole('button', { name: 'Open the inbox' }).click();
    await page.locator('.conv').first().waitFor();
    const accounts = await page.locator('.rail-btn[aria-label]').evaluateAll((b) => b.map((x) => x.getAttribute('aria-label')));
    assert.ok(accounts.some((a) => a.startsWith('Demo shop (sample data)')), `the demo is in the rail: ${accounts}`);
  });

  test('"+ Add account" in the rail reopens the wizard, and Back returns to the inbox', async () => {
    const page = await app();
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { name: 'Add a WhatsApp number' }).waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.locator('.conv').first().waitFor();
  });

  test('WASender: "Test connection" answers before anything is saved; a refused key says why', async () => {
    const refusedPage = await firstLaunch({ wasenderRefused: true });
    await refusedPage.getByRole('button', { name: /^WASender/ }).click();
    await refusedPage.getByLabel('API key').fill('bad');
    const save = refusedPage.getByRole('button', { name: 'Save and continue' });
    assert.ok(await save.isDisabled(), 'nothing is saved before a test');
    await refusedPage.getByRole('button', { name: 'Test connection' }).click();
    const alert = refusedPage.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.textContent(), new RegExp(wz.wizard_test_wasender_refused.message.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    assert.ok(await save.isDisabled());
    assert.equal((await calls(refusedPage, 'wizard_add_wasender')).length, 0);

    const page = await firstLaunch();
    await page.getByRole('button', { name: /^WASender/ }).click();
    await page.getByLabel('API key').fill('ws-good-key');
    await page.getByLabel('Webhook secret (optional)').fill('ws-hook-secret');
    await page.getByRole('button', { name: 'Test connection' }).click();
    const ok = page.getByRole('status').filter({ hasText: 'Connected' });
    await ok.waitFor();
    assert.ok((await ok.textContent()).includes(wz.wizard_test_wasender.display_number), 'the session number is shown');
    assert.equal((await calls(page, 'wizard_add_wasender')).length, 0, 'testing saves nothing');
    assert.deepEqual((await calls(page, 'wizard_test_wasender'))[0].args, { api_key: 'ws-good-key', webhook_secret: 'ws-hook-secret' });
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: /Getting your inbox ready|All set/ }).waitFor();
    assert.equal((await calls(page, 'wizard_add_wasender')).length, 1);
  });

  test('UniPile: the account picker, and hosted sign-in for a new account with checkpoints', async () => {
    const page = await firstLaunch();
    await page.getByRole('button', { name: /^UniPile/ }).click();
    await page.getByLabel('DSN').fill('api8.unipile.com:13851');
    await page.getByLabel('API key').fill('up-key');
    await page.getByRole('button', { name: 'List accounts' }).click();
    const boxes = page.getByRole('checkbox');
    await boxes.first().waitFor();
    assert.equal(await boxes.count(), wz.wizard_unipile_accounts.length);
    await page.getByRole('checkbox', { name: new RegExp(wz.wizard_unipile_accounts[1].name) }).uncheck();

    await page.getByRole('button', { name: 'Create a sign-in link' }).click();
    const link = page.locator('.wizard-copy code');
    await link.waitFor();
    assert.equal(await link.textContent(), wz.wizard_unipile_connect.url, 'the link is shown to open or copy');
    await page.getByText('Sign-in link created.').waitFor();
    await page.getByText(/Connected: New counter/).waitFor();
    const waits = await calls(page, 'wizard_unipile_wait');
    assert.equal(waits.length, 2, 'it kept waiting after a first look found nothing');
    assert.deepEqual(waits[0].args.known, wz.wizard_unipile_connect.known);
    assert.ok(await page.getByRole('checkbox', { name: /New counter/ }).isChecked(), 'the new account is selected');
    await page.getByRole('button', { name: /Import 2 selected/ }).click();
    await page.getByRole('heading', { name: /Getting your inbox ready|All set/ }).waitFor();
    const [imported] = await calls(page, 'wizard_add_unipile');
    assert.deepEqual(imported.args.account_ids, [wz.wizard_unipile_accounts[0].id, wz.wizard_unipile_wait.id]);
  });

  test('a .env file picked from disk: its text is read, offline accounts are kept "not yet verified"', async () => {
    const page = await firstLaunch();
    await page.getByRole('button', { name: 'Import a .env file' }).click();
    const text = '# the shop\nWASENDER_API_KEY=env-key\nWASENDER_WEBHOOK_SECRET=env-secret\nSHOP_NAME="Corner Bakery"\n';
    await page.getByLabel('Choose the .env file').setInputFiles({ name: 'shop.env', mimeType: 'text/plain', buffer: Buffer.from(text) });
    const found = page.locator('.wizard-found');
    await found.waitFor();
    assert.match(await found.textContent(), /A WASender session/);
    assert.match(await found.textContent(), /Not imported \(unknown variables\): SHOP_NAME/);
    assert.deepEqual((await calls(page, 'wizard_import_env_text'))[0].args, { name: 'shop.env', text }, 'the text goes to the shell, no path');
    await page.getByRole('button', { name: 'Create the accounts' }).click();
    await page.getByRole('heading', { name: /Getting your inbox ready|All set/ }).waitFor();
    const warn = page.locator('.wizard-warn-box');
    await warn.waitFor();
    assert.match(await warn.textContent(), /saved but not verified yet/);
    assert.match(await warn.textContent(), /Check the internet connection/);
    assert.equal((await calls(page, 'wizard_create_from_env')).length, 0);
  });

  test('import from another computer: the export and an optional vault with its passphrase', async () => {
    const page = await firstLaunch();
    await page.getByRole('button', { name: 'Import from another computer' }).click();
    await page.getByRole('heading', { name: 'Import from another computer' }).waitFor();
    const go = page.getByRole('button', { name: 'Import the accounts' });
    assert.ok(await go.isDisabled());
    await page.getByLabel('The export').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":1}') });
    await go.click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /not a Wicket export/);

    const doc = JSON.stringify({ format: 'wicket-export', format_version: 1, tables: {} });
    await page.getByLabel('The export').setInputFiles({ name: 'export.json', mimeType: 'application/json', buffer: Buffer.from(doc) });
    await page.getByLabel('Secrets vault (optional)').setInputFiles({ name: 'moving.vault', mimeType: 'application/octet-stream', buffer: Buffer.from('{"version":1}') });
    await page.getByLabel('Vault passphrase').waitFor();
    assert.ok(await go.isDisabled(), 'a vault needs its passphrase');
    await page.getByLabel('Vault passphrase').fill('a long moving passphrase');
    await go.click();
    await page.getByRole('heading', { name: /Getting your inbox ready|All set/ }).waitFor();
    const sent = (await calls(page, 'wizard_import_export')).at(-1).args;
    assert.deepEqual(sent, { name: 'export.json', text: doc, vault_text: '{"version":1}', passphrase: 'a long moving passphrase' });
    assert.match(await page.locator('.wizard-warn-box').textContent(), /re-enter/);
    assert.equal((await calls(page, 'wizard_first_sync')).length, 0, 'an account without its secrets is not synced');
  });

  test('the public-address step: listener, callback URL and token to copy, tunnel, registration, check', async () => {
    const page = await firstLaunch();
    await page.getByRole('button', { name: /WhatsApp Cloud API/ }).click();
    await fillMeta(page);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'All set' }).waitFor();
    await page.getByRole('button', { name: 'Set up the public address' }).click();
    await page.getByRole('heading', { name: 'A public address for webhooks' }).waitFor();
    const pa = wz.wizard_public_address;
    assert.equal(await page.getByLabel('Listen on').inputValue(), pa.listen);
    const copies = page.locator('.wizard-copy');
    assert.match(await copies.nth(0).textContent(), new RegExp(`${pa.callback_path}`));
    assert.match(await copies.nth(1).textContent(), new RegExp(pa.verify_token), 'the verify token to paste');
    assert.equal(await page.getByRole('button', { name: 'Copy callback url' }).count(), 1);
    assert.match(await page.locator('.wizard-manual').textContent(), /Callback URL/, 'what to paste where, before any tunnel');
    const start = page.getByRole('button', { name: 'Start Cloudflare quick tunnel' });
    assert.ok(await start.isDisabled(), 'the tunnel needs the listener first');
    await page.getByRole('button', { name: 'Start the listener' }).click();
    await page.getByText(`Listening on http://${wz.wizard_start_listener.listening}`).waitFor();
    await start.click();
    await page.getByText(wz.wizard_start_tunnel.public_url, { exact: true }).waitFor();
    assert.match(await page.locator('.wizard-public').textContent(), /changes every time the tunnel starts/, 'a changing URL is said plainly');
    assert.equal(await page.getByRole('textbox', { name: 'Public address' }).inputValue(), wz.wizard_start_tunnel.public_url);
    assert.match(await copies.nth(0).textContent(), new RegExp(wz.wizard_start_tunnel.public_url.replace(/[.]/g, '\\.')), 'the full callback URL');
    await page.getByRole('button', { name: 'Check' }).click();
    const ok = page.getByRole('status').filter({ hasText: 'It works end to end' });
    await ok.waitFor();
    assert.match(await ok.textContent(), /signed test event was accepted/);
    assert.deepEqual((await calls(page, 'wizard_check_public'))[0].args, { account_id: pa.account_id, public_url: wz.wizard_start_tunnel.public_url });

    // The quick tunnel's address changes: registered again by the shell, shown here.
    const moved = wz.public_address_changed;
    await page.evaluate((payload) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event: 'public-address-changed', payload }), moved);
    await page.getByText(moved.public_url, { exact: true }).waitFor();
    assert.match(await page.getByRole('alert').filter({ hasText: 'address changed' }).textContent(), /registered it again.*lost/);
    assert.equal(await page.getByRole('textbox', { name: 'Public address' }).inputValue(), moved.public_url, 'the check uses the new address');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'All set' }).waitFor();
  });

  test('account settings: status, a switch, removal with confirmation, the demo in one click, and "Add account"', async () => {
    const page = await app({ managed: true });
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();
    const rows = page.locator('.acct-row');
    await rows.first().waitFor();
    assert.ok((await rows.count()) >= 2);
    const first = (await calls(page, 'list_accounts')).length;
    const sw = page.locator('.accounts-settings').getByRole('switch').first();
    assert.ok(await sw.isChecked());
    await sw.click();
    await page.locator('.acct-row').first().getByText(/switched off/).waitFor();
    assert.deepEqual((await calls(page, 'accounts_set_enabled'))[0].args.enabled, false);
    assert.ok((await calls(page, 'list_accounts')).length > first, 'the accounts are reloaded');
    assert.equal(await page.locator('.accounts-settings').getByRole('switch').first().isChecked(), false);

    // The public-address step for an account already set up, and back.
    await page.getByRole('button', { name: /^Public address for/ }).first().click();
    await page.getByRole('heading', { name: 'A public address for webhooks' }).waitFor();
    // The step asks the shell once it is shown (an effect after the render): wait for that call.
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'wizard_public_address'));
    assert.deepEqual((await calls(page, 'wizard_public_address'))[0].args, { account_id: fx.list_accounts[0].id });
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'Accounts' }).waitFor();

    // A real account: a confirmation that names what goes.
    const name = await rows.first().locator('.acct-name').textContent();
    await rows.first().getByRole('button', { name: /^Remove/ }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.waitFor();
    assert.match(await confirm.textContent(), /secrets from the keychain/);
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    assert.equal((await calls(page, 'accounts_remove')).length, 0, 'keeping it removes nothing');
    await rows.first().getByRole('button', { name: /^Remove/ }).click();
    await page.getByRole('button', { name: 'Remove for good' }).click();
    await page.waitForFunction((n) => ![...document.querySelectorAll('.acct-name')].some((e) => e.textContent === n), name);

    // The demo: one click.
    await page.getByRole('button', { name: 'Remove the demo' }).click();
    await page.waitForFunction(() => !document.querySelector('.acct-badge'));
    assert.equal((await calls(page, 'accounts_remove')).length, 2);
    assert.deepEqual((await calls(page, 'accounts_remove'))[1].args, { account_id: fx.list_accounts.find((a) => a.provider === 'demo').id });

    // No account left: the first-launch wizard, not an empty inbox.
    await page.getByRole('heading', { name: 'Connect a WhatsApp number' }).waitFor();

    const again = await app({ managed: true });
    await again.getByRole('button', { name: 'Settings', exact: true }).click();
    await again.locator('.accounts-settings').getByRole('button', { name: 'Add account' }).click();
    await again.getByRole('heading', { name: 'Add a WhatsApp number' }).waitFor();
  });
});
