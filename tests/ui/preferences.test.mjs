// The preferences of Settings that are the CLI's settings too (`wicket
// settings`): message previews, the theme (applied at once and at start),
// default country, time zone and the contact sync interval, in headless
// Chromium against the built UI. Answers and refusals recorded from the
// real handlers (tests/ui/fixtures/settings.json).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, settingsFixtures as st } from './harness.mjs';

const app = browserSuite();

async function openSettings(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await dialog.getByRole('switch', { name: 'Show message previews' }).waitFor();
  return dialog;
}

const lastSaved = async (page) => {
  const saved = await calls(page, 'set_preferences');
  return saved[saved.length - 1]?.args;
};
const bg = (page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

describe('preferences in Settings', () => {
  test('the theme applies at once, both ways, whatever the desktop says', async () => {
    const page = await app({}, { colorScheme: 'light' });
    const dialog = await openSettings(page);
    const light = await bg(page);
    await dialog.getByRole('radio', { name: 'Dark' }).check();
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    assert.notEqual(await bg(page), light, 'dark now');
    assert.equal((await lastSaved(page)).theme, 'dark');
    if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/preferences-dark.png` });
    await dialog.getByRole('radio', { name: 'Follow the system' }).check();
    await page.waitForFunction(() => !document.documentElement.dataset.theme);
    assert.equal(await bg(page), light, 'the desktop is light');
  });

  test('a stored light theme wins over a dark desktop from the start', async () => {
    const page = await app({ prefs: { theme: 'light' } }, { colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    const dark = await (await app({}, { colorScheme: 'dark' })).evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(await bg(page), dark);
  });

  test('previews, country, time zone and contact sync are saved as the shell types them; a bad country is refused', async () => {
    const page = await app();
    const dialog = await openSettings(page);
    await dialog.getByRole('switch', { name: 'Show message previews' }).uncheck();
    assert.equal((await lastSaved(page)).notification_previews, false);
    await dialog.getByLabel('Default country').fill('de');
    await dialog.getByLabel('Default country').press('Tab');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'set_preferences' && c.args.default_country === 'DE'));
    await dialog.getByLabel('Time zone').fill('Europe/Berlin');
    await dialog.getByLabel('Time zone').press('Tab');
    await dialog.getByLabel('Sync contacts every (hours)').fill('12');
    await dialog.getByLabel('Sync contacts every (hours)').press('Tab');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'set_preferences' && c.args.contact_sync_hours === 12));
    const saved = await lastSaved(page);
    assert.deepEqual(
      { previews: saved.notification_previews, country: saved.default_country, zone: saved.time_zone, sync: saved.contact_sync_hours },
      { previews: false, country: 'DE', zone: 'Europe/Berlin', sync: 12 },
    );
    if (process.env.WICKET_SCREENSHOTS) await dialog.getByRole('region', { name: 'Messages and contacts' }).screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/preferences-messages-light.png` });

    await dialog.getByLabel('Default country').fill('x9');
    await dialog.getByLabel('Default country').press('Tab');
    await dialog.getByRole('alert').waitFor();
    assert.equal(await dialog.getByRole('alert').textContent(), st.set_preferences_bad_country.message);
    await page.waitForFunction(() => document.querySelector('input[maxlength="2"]').value === 'DE');
  });
});
