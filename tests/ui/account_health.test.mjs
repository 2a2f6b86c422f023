// What Meta's account-level webhooks said, in the window: the account's
// details and banners in the account settings (the sample's number was
// flagged, its offers template rejected), the template picker listing the
// rejected template marked and not pickable with Meta's reason, and the
// composer asking the core for the typing indicator as the owner types.
// Fixtures recorded from the real handlers (src-tauri/app/tests.rs).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const FLOUR = all.find((c) => c.display_name === 'Flour & Co Supplies');
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');
const shop = fixtures.list_accounts[0];

describe('account health', () => {
  for (const scheme of ['light', 'dark']) {
    test(`banners, details and the template picker in the ${scheme} theme`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 900 });

      // The template picker (Flour & Co's window is closed): approved ones to pick, the rejected one marked with why.
      await openChat(page, FLOUR);
      const picker = page.getByRole('group', { name: 'Approved templates' });
      await picker.waitFor();
      const radios = await picker.getByRole('radio').allTextContents();
      assert.equal(radios.length, 3, radios.join(' | '));
      assert.ok(!radios.some((r) => /weekly offers/i.test(r)), 'a rejected template is not pickable');
      const blocked = picker.getByRole('list', { name: 'Templates that cannot be sent' }).locator('li');
      assert.equal(await blocked.count(), 1);
      assert.equal(await blocked.locator('.template-status').textContent(), 'rejected');
      assert.equal(await blocked.locator('.template-reason').textContent(), 'INCORRECT_CATEGORY — Submit it again as a MARKETING template without the discount code.');
      await picker.screenshot({ path: shot('templates-blocked') });

      // The account settings: quality and limit, and a banner per thing to do.
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      await page.getByRole('heading', { name: 'Accounts' }).waitFor();
      const row = page.locator('.acct-row').first();
      await row.locator('.acct-health').waitFor();
      assert.equal(await row.locator('.acct-health').textContent(), 'Quality: low (flagged by Meta) · Messaging limit: 1k');
      const banners = row.getByRole('note', { name: 'Needs attention' });
      assert.equal(await banners.count(), fixtures.account_health[String(shop.id)].attention.length);
      assert.match(await banners.nth(0).textContent(), /flagged this number's quality as low.*Send fewer marketing messages/);
      assert.match(await banners.nth(1).textContent(), /Template weekly_offers \(en_GB\) was rejected \(INCORRECT_CATEGORY — Submit it again as a MARKETING template without the discount code\)\.Edit it/);
      const colours = await banners.first().evaluate((el) => {
        const s = getComputedStyle(el);
        return [s.backgroundColor, s.color];
      });
      assert.notEqual(colours[0], colours[1], 'readable in this theme');
      await row.screenshot({ path: shot('account-attention') });
    });
  }

  test('typing in the composer asks the core for the typing indicator, never for a deletion', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.pressSequentially('On it');
    const typed = await calls(page, 'owner_typing');
    assert.equal(typed.length, 5, 'one ask per keystroke: the core throttles');
    assert.deepEqual(typed[0].args, { conversation_id: PRIYA.id });
    await box.press('Backspace');
    assert.equal((await calls(page, 'owner_typing')).length, 5, 'deleting is not typing an answer');
  });
});
