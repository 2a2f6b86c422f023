// The app lock in headless Chromium against the built UI (ui/dist), the IPC
// mocked with answers recorded from the real handlers
// (tests/ui/fixtures/applock.json, src-tauri/app/applock_tests.rs): a
// window locked at start renders nothing of the inbox (not merely covered),
// says plainly that the lock is not disk encryption, refuses a wrong
// passphrase with the shell's message and opens with the right one; Ctrl+L,
// the rail's button and the palette lock; Settings turns it on (twice),
// changes the idle time and turns it off; no input for the idle time locks.
// Screenshots in both themes.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APPLOCK_PASSPHRASE, SAMPLE_NOW, applockFixtures as al, browserSuite, calls, fixtures } from './harness.mjs';

const app = browserSuite();
const shot = (page, name) => process.env.WICKET_SCREENSHOTS && page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/${name}.png` });
const names = fixtures.list_conversations.all.map((c) => c.display_name);

async function nothingOfTheInbox(page) {
  const text = await page.locator('body').textContent();
  for (const n of names) assert.ok(!text.includes(n), `${n} is not in the page while locked`);
  assert.equal(await page.locator('.conv, .bubble, .list-pane, .rail').count(), 0, 'the inbox is not rendered behind the lock');
}

describe('app lock', () => {
  test('the recorded answers say what the window needs', () => {
    assert.equal(al.locked_error.code, 'locked');
    assert.match(al.locked_error.message, /^Wicket is locked: unlock to see messages/);
    assert.equal(al.unlock_app_wrong.code, 'lock_passphrase_wrong');
    assert.equal(al.unlock_app_wait.code, 'lock_wait');
    assert.match(al.lock_status_off.not_encryption, /does not encrypt/);
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`locked at start (${colorScheme}): nothing of the inbox, a plain sentence, wrong then right passphrase`, async () => {
      const page = await app({ applock: 'locked' }, { colorScheme, ready: '.lock-screen' });
      await nothingOfTheInbox(page);
      assert.equal((await calls(page)).filter((c) => ['list_conversations', 'list_messages', 'search'].includes(c.cmd)).length, 0, 'no content was even asked for');
      await page.getByRole('heading', { name: 'Wicket is locked' }).waitFor();
      assert.equal(await page.locator('.lock-note').textContent(), al.lock_status_off.not_encryption);
      const field = page.getByLabel('Passphrase', { exact: true });
      assert.equal(await field.evaluate((el) => el === document.activeElement), true, 'focus starts in the field');
      assert.equal(await field.getAttribute('type'), 'password');
      await shot(page, `applock-locked-${colorScheme}`);

      await field.fill('copper lanterns');
      await field.press('Enter');
      const alert = page.getByRole('alert');
      await alert.waitFor();
      assert.equal(await alert.textContent(), al.unlock_app_wrong.message);
      assert.equal(await field.inputValue(), '', 'the wrong passphrase is cleared');
      await nothingOfTheInbox(page);
      await shot(page, `applock-wrong-${colorScheme}`);

      await field.fill(APPLOCK_PASSPHRASE);
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.locator('.conv').first().waitFor();
      assert.deepEqual((await calls(page, 'unlock_app')).map((c) => c.args.passphrase), ['copper lanterns', APPLOCK_PASSPHRASE]);
    });
  }

  test('Ctrl+L, the rail button and the palette lock; the inbox goes away', async () => {
    const page = await app({ applock: 'on' });
    await page.keyboard.press('Control+l');
    await page.locator('.lock-screen').waitFor();
    await nothingOfTheInbox(page);
    await page.getByLabel('Passphrase', { exact: true }).fill(APPLOCK_PASSPHRASE);
    await page.keyboard.press('Enter');
    await page.locator('.conv').first().waitFor();

    await page.getByRole('button', { name: 'Lock Wicket' }).click();
    await page.locator('.lock-screen').waitFor();
    await page.getByLabel('Passphrase', { exact: true }).fill(APPLOCK_PASSPHRASE);
    await page.keyboard.press('Enter');
    await page.locator('.conv').first().waitFor();

    await page.keyboard.press('Control+k');
    await page.keyboard.type('Lock Wicket');
    await page.keyboard.press('Enter');
    await page.locator('.lock-screen').waitFor();
    assert.equal((await calls(page, 'lock_now')).length, 3);
  });

  test('Settings → App lock: on with the passphrase twice, the idle time, off with the passphrase', async () => {
    const page = await app({});
    await page.getByRole('button', { name: 'Settings' }).click();
    const section = page.locator('section[aria-labelledby="settings-applock"]');
    await section.scrollIntoViewIfNeeded();
    assert.match(await section.textContent(), /does not encrypt them on disk/);
    assert.equal(await section.getByLabel('Lock after').isDisabled(), true, 'the idle time needs a passphrase first');
    await section.getByRole('button', { name: 'Turn on' }).click();
    await section.getByLabel('New passphrase', { exact: true }).fill(APPLOCK_PASSPHRASE);
    await section.getByLabel('Repeat the new passphrase').fill('copper lanterns');
    await section.getByRole('button', { name: 'Save passphrase' }).click();
    assert.match(await section.getByRole('alert').textContent(), /differ/);
    await section.getByLabel('Repeat the new passphrase').fill(APPLOCK_PASSPHRASE);
    await section.getByRole('button', { name: 'Save passphrase' }).click();
    await section.getByText('The app lock is on: lock with Ctrl+L').waitFor();
    await section.getByLabel('Lock after').selectOption('10');
    assert.deepEqual((await calls(page, 'lock_set_idle')).map((c) => c.args.minutes), [10]);
    await shot(page, 'applock-settings-light');

    await section.getByRole('button', { name: 'Turn off' }).click();
    await section.getByLabel('Current passphrase').fill('nope');
    await section.getByRole('button', { name: 'Turn off' }).click();
    assert.equal(await section.getByRole('alert').textContent(), al.unlock_app_wrong.message);
    await section.getByLabel('Current passphrase').fill(APPLOCK_PASSPHRASE);
    await section.getByRole('button', { name: 'Turn off' }).click();
    await section.getByText('The app lock is off.').waitFor();
    assert.deepEqual(
      (await calls(page)).filter((c) => c.cmd.startsWith('lock_set_pass') || c.cmd === 'lock_turn_off').map((c) => c.cmd),
      ['lock_set_passphrase', 'lock_turn_off', 'lock_turn_off'],
    );
  });

  test('no input for the idle time locks the window; a key press counts as use', async () => {
    const page = await app({ applock: 'on' });
    const minutes = al.unlock_app.lock_after_minutes;
    assert.ok(minutes > 0, 'the recorded lock has an idle time');
    // The page's clock is fixed; moving it stands in for time passing. The window compares every 10 s.
    const after = (ms) => page.clock.setFixedTime(new Date(SAMPLE_NOW + 60_000 + ms));
    await after(minutes * 60_000 - 1_000);
    await page.keyboard.press('Shift');
    await after(minutes * 60_000 + 1_000);
    await page.waitForTimeout(11_000);
    assert.equal((await calls(page, 'lock_now')).length, 0, 'used a second before the idle time: still open');
    await after(2 * minutes * 60_000);
    await page.locator('.lock-screen').waitFor({ timeout: 15_000 });
    await nothingOfTheInbox(page);
    assert.equal((await calls(page, 'lock_now')).length, 1);
  });

  test('the settings in the dark theme', async () => {
    const page = await app({ applock: 'on' }, { colorScheme: 'dark' });
    await page.getByRole('button', { name: 'Settings' }).click();
    const section = page.locator('section[aria-labelledby="settings-applock"]');
    await section.scrollIntoViewIfNeeded();
    await section.getByRole('button', { name: 'Change passphrase' }).click();
    await section.getByLabel('Current passphrase').waitFor();
    await shot(page, 'applock-settings-dark');
  });
});
