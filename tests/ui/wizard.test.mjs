// The setup wizard in headless Chromium against the built UI (ui/dist), the
// Tauri IPC mocked with the wizard's answers recorded from the real handlers
// (tests/ui/fixtures/wizard.json, src-tauri/app/tests.rs).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { calls, launch, openApp, serve, wizardFixtures as wz } from './harness.mjs';

let server;
let browser;
const pages = [];

async function firstLaunch(options = {}, view = {}) {
  const page = await openApp(browser, server.url, { noAccounts: true, ...options }, { ready: '.wizard', ...view });
  pages.push(page);
  return page;
}

async function fillMeta(page, token = 'EAAG-typed-token') {
  await page.getByLabel('Phone number ID').fill('123456789012345');
  await page.getByLabel('WhatsApp Business account ID').fill('987654321098765');
  await page.getByLabel('Access token').fill(token);
  await page.getByLabel('App secret').fill('typed-app-secret');
}

before(async () => {
  server = await serve();
  browser = await launch();
});

after(async () => {
  for (const p of pages) {
    const csp = await p.evaluate(() => window.__csp).catch(() => []);
    assert.deepEqual(csp, [], 'the wizard runs under the strict CSP of tauri.conf.json without a violation');
    assert.deepEqual(p.errors, [], 'no script errors in the page');
  }
  await browser?.close();
  await server?.close();
});

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
    const page = await openApp(browser, server.url, {});
    pages.push(page);
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('heading', { name: 'Add a WhatsApp number' }).waitFor();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.locator('.conv').first().waitFor();
  });
});
