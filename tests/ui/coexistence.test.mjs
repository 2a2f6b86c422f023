// Issue 10 in the window, both themes: the Settings panel's "Typing
// indicator" switch (the `typing_indicator` setting, on by default, saved at
// once with the other preferences), and Meta's import of the WhatsApp
// Business app's chats in the account's details (the sample's import is
// halfway: its progress as text and as a bar). Fixtures recorded from the
// real handlers (src-tauri/app/tests.rs).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, settingsFixtures as st } from './harness.mjs';

const app = browserSuite();
const shop = fixtures.list_accounts[0];

describe('coexistence and the typing indicator', () => {
  for (const scheme of ['light', 'dark']) {
    test(`the typing indicator switch and the history import's progress in the ${scheme} theme`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 900 });
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      const typing = dialog.getByRole('switch', { name: 'Typing indicator' });
      await typing.waitFor();
      assert.equal(st.get_preferences.typing_indicator, true, 'on by default, as the shell reads it');
      assert.equal(await typing.isChecked(), true);
      assert.equal(await dialog.getByRole('region', { name: 'Chats' }).count(), 1, 'in a Chats section');
      assert.match(await dialog.getByRole('region', { name: 'Chats' }).textContent(), /typing….*marks their message read/);
      await dialog.getByRole('region', { name: 'Chats' }).screenshot({ path: shot('settings-typing') });

      await typing.uncheck();
      await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'set_preferences'));
      const saved = (await calls(page, 'set_preferences')).map((c) => c.args);
      assert.deepEqual(saved[saved.length - 1], { ...st.get_preferences, typing_indicator: false }, 'saved with the other preferences');
      assert.equal(await typing.isChecked(), false);

      // The account's details: the import's progress, as text and as a bar.
      const h = fixtures.account_health[String(shop.id)].history_import;
      assert.deepEqual([h.state, h.progress], ['importing', 55], 'the sample is halfway');
      const row = page.locator('.acct-row').first();
      const history = row.locator('.acct-history');
      await history.waitFor();
      assert.equal(await history.locator('label').textContent(), "Importing the WhatsApp Business app's chats: 55%");
      const bar = row.getByRole('progressbar', { name: "Importing the WhatsApp Business app's chats: 55%" });
      assert.equal(await bar.getAttribute('value'), '55');
      const [track, behind] = await bar.evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el.closest('.settings')).backgroundColor]);
      assert.notEqual(track, behind, 'the bar shows against the panel in this theme');
      await row.screenshot({ path: shot('account-history-import') });
    });
  }
});
