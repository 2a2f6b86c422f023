// The Settings panel, the notification click and the focus report in
// headless Chromium against the built UI (ui/dist); the IPC is mocked with
// answers recorded from the real handlers (tests/ui/fixtures/settings.json).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, settingsFixtures as st } from './harness.mjs';

const app = browserSuite();

const emit = (page, event, payload) => page.evaluate(([event, payload]) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }), [event, payload]);

async function openSettings(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('switch', { name: 'Notify me of new messages' }).waitFor();
  return dialog;
}

describe('settings panel', () => {
  test('the gear opens sections with the stored preferences; changes are saved at once', async () => {
    const page = await app();
    const dialog = await openSettings(page);
    for (const name of ['Notifications', 'Window']) {
      assert.equal(await dialog.getByRole('region', { name }).count(), 1, `a ${name} section`);
    }
    const d = st.get_preferences;
    assert.equal(await dialog.getByRole('switch', { name: 'Notify me of new messages' }).isChecked(), d.notifications);
    assert.equal(await dialog.getByRole('switch', { name: 'Do not disturb' }).isChecked(), d.do_not_disturb);
    // The recorded desktop has no tray: the switch is off and disabled, whatever was stored, so it never contradicts its note.
    assert.equal(d.tray_available, false);
    const tray = dialog.getByRole('switch', { name: 'Keep running in the tray when closed' });
    assert.equal(await tray.isChecked(), false);
    assert.equal(await tray.isDisabled(), true);
    assert.equal(await dialog.getByRole('switch', { name: 'Start Wicket when I log in' }).isChecked(), d.start_at_login);
    assert.match(await dialog.textContent(), /no tray: closing the window quits/, 'without a tray host the panel says closing quits');

    await dialog.getByRole('switch', { name: 'Do not disturb' }).check();
    await dialog.getByRole('switch', { name: 'Quiet hours' }).check();
    await dialog.getByLabel('From', { exact: true }).fill('23:30');
    await dialog.getByRole('switch', { name: 'Start Wicket when I log in' }).check();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'set_preferences').length >= 4);
    const saved = (await calls(page, 'set_preferences')).map((c) => c.args);
    const last = saved[saved.length - 1];
    assert.deepEqual(last, { ...d, do_not_disturb: true, quiet_hours: { from: '23:30', to: '07:00' }, start_at_login: true }, 'the whole preferences, as the shell types them');
    assert.equal(await dialog.getByLabel('To', { exact: true }).inputValue(), '07:00');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    const again = await openSettings(page);
    assert.equal(await again.getByRole('switch', { name: 'Do not disturb' }).isChecked(), true, 'reopened from what the shell stored');
    await again.getByRole('button', { name: 'Close settings' }).click();
  });

  test('a refused change shows the shell\'s reason and the stored value stays', async () => {
    const page = await app({ prefsRefused: true });
    const dialog = await openSettings(page);
    // click, not check: the refusal puts the switch back at once.
    await dialog.getByRole('switch', { name: 'Do not disturb' }).click();
    await dialog.getByRole('alert').waitFor();
    assert.equal(await dialog.getByRole('alert').textContent(), st.set_preferences_invalid.message);
    await page.waitForFunction(() => !document.querySelector('[role=switch][id="pref-do-not-disturb"]').checked);
  });

  test('dark theme', async () => {
    const page = await app({}, { colorScheme: 'dark' });
    await openSettings(page);
    const bg = await page.locator('.settings').evaluate((e) => getComputedStyle(e).backgroundColor);
    assert.equal(bg, 'rgb(21, 29, 37)', 'the dark surface colour');
  });
});

describe('background jobs', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`Settings lists every job with its last run, the next, and a failure's reason (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const dialog = await openSettings(page);
      const section = dialog.getByRole('region', { name: 'Background jobs' });
      await section.getByRole('listitem').first().waitFor();
      const items = section.getByRole('listitem');
      assert.equal(await items.count(), st.list_jobs.length, 'one row per job and account');
      const maintenance = items.filter({ hasText: 'Daily maintenance' });
      assert.match(await maintenance.textContent(), /Done/);
      assert.match(await maintenance.textContent(), /Daily · last run .*\(41 ms\) · next /);
      assert.ok((await maintenance.textContent()).includes(st.list_jobs[0].summary), 'what the run did');
      const failed = st.list_jobs.find((j) => j.result === 'failed');
      const templates = items.filter({ hasText: failed.title });
      assert.match(await templates.textContent(), new RegExp(`Failed`));
      assert.ok((await templates.textContent()).includes(failed.error), 'the reason is shown');
      assert.ok((await templates.textContent()).includes(failed.account_name), 'the account it ran for');
      assert.match(await templates.textContent(), /Every 6 h/);
      const retry = items.filter({ hasText: 'Retries failed sends' });
      assert.match(await retry.textContent(), /Every 30 min/);
      assert.match(await retry.textContent(), /Not run yet/);
      assert.equal(await items.filter({ hasText: 'When there is work' }).count(), 2, 'media downloads run when due');
      const colour = await templates.locator('.job-result').evaluate((e) => getComputedStyle(e).color);
      assert.equal(colour, colorScheme === 'dark' ? 'rgb(255, 138, 128)' : 'rgb(180, 35, 24)', 'a failure in the danger colour');
      await section.scrollIntoViewIfNeeded();
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/settings-jobs-${colorScheme}.png` });
    });
  }
});

describe('notifications in the UI', () => {
  test('a clicked notification opens its conversation; the focused chat is reported to the shell', async () => {
    const page = await app();
    const target = fixtures.list_conversations.all.find((c) => c.display_name === 'Jürgen Müller');
    await emit(page, 'open-conversation', { conversation_id: target.id });
    await page.locator('.chat-header h2', { hasText: target.display_name }).waitFor();
    assert.deepEqual((await calls(page, 'open_conversation')).map((c) => c.args), [{ id: target.id }]);
    await page.waitForFunction((id) => window.__calls.some((c) => c.cmd === 'set_focused_conversation' && c.args.conversation_id === id), target.id);
  });

  test('a summary notification opens the unread list', async () => {
    const page = await app();
    await emit(page, 'open-conversation', { conversation_id: null });
    await page.getByRole('button', { name: 'Unread', pressed: true }).waitFor();
  });

  test('About shows the version and the store schema, where the data and logs are, and opens those folders', async () => {
    const page = await app();
    const dialog = await openSettings(page);
    const about = dialog.getByRole('region', { name: 'About' });
    await about.waitFor();
    const text = await about.textContent();
    assert.match(text, new RegExp(`Wicket ${st.app_about.version} · store schema ${st.app_about.store_schema_version}`));
    assert.ok(text.includes(st.app_about.data_dir) && text.includes(st.app_about.logs_dir), text);
    await about.getByRole('button', { name: 'Open logs' }).click();
    await about.getByRole('button', { name: 'Open data folder' }).click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'open_folder').length === 2);
    assert.deepEqual((await calls(page, 'open_folder')).map((c) => c.args), [{ folder: 'logs' }, { folder: 'data' }]);
    await about.scrollIntoViewIfNeeded();
    if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/settings-about-light.png` });
  });
});
