// The keyboard and the command palette in headless Chromium against the
// built UI: conversation actions from the chat header, the palette (Ctrl+K)
// finding a conversation by a name without its accents and running actions,
// the shortcuts (archive, mark unread, pin, mute, next unread, reply, the
// composer) and the shortcut sheet (? and Ctrl+/). The shell's answers are
// shaped like tests/ui/fixtures/actions.json, recorded from the real handlers.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionsFixtures as af, browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const calm = all.find((c) => c.unread_count === 0 && !c.is_group && c.display_name === 'Jürgen Müller');

describe('conversation actions, palette and shortcuts', () => {
  test('the recorded answers carry what the window shows', () => {
    assert.equal(af.archived.archived, true);
    assert.equal(af.pinned_muted.pinned && af.pinned_muted.muted, true);
    assert.equal(af.mark_unread.unread_count, 1);
    assert.deepEqual([...af.labelled.labels].sort(), ['order', 'vip']);
    assert.equal(af.missing.code, 'not_found');
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`the header's actions and the palette (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      await openChat(page, calm);
      await page.getByRole('button', { name: 'Pin', exact: true }).click();
      await page.getByRole('button', { name: 'Unpin' }).waitFor();
      assert.deepEqual((await calls(page, 'set_conversation_flags')).map((c) => c.args), [{ id: calm.id, pinned: true, archived: null, muted: null }]);
      await page.getByRole('button', { name: 'Labels', exact: true }).click();
      await page.getByLabel('New label').fill('vip');
      await page.getByLabel('New label').press('Enter');
      await page.locator('.chat-sub .label', { hasText: 'vip' }).waitFor();
      assert.deepEqual((await calls(page, 'set_conversation_labels')).map((c) => c.args.labels), [[...calm.labels, 'vip']]);
      await page.getByRole('button', { name: 'Labels', exact: true }).click();

      await page.keyboard.press('Control+k');
      const palette = page.getByRole('dialog', { name: 'Command palette' });
      await palette.waitFor();
      await page.getByRole('combobox', { name: 'Type a command or a name' }).fill('mute jurgen');
      const options = palette.getByRole('option');
      assert.equal(await options.count(), 1, 'accents do not matter, words narrow');
      assert.match(await options.first().textContent(), /Mute Jürgen Müller.*Ctrl\+Shift\+M/);
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/palette-${colorScheme}.png` });
      await page.keyboard.press('Enter');
      await palette.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Unmute' }).waitFor();
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/actions-${colorScheme}.png` });
    });
  }

  test('the palette goes to a conversation and opens the app\'s screens', async () => {
    const page = await app();
    await page.locator('.conv').first().waitFor();
    // The palette's own field: other screens (Statistics) have comboboxes too.
    const palette = page.getByRole('dialog', { name: 'Command palette' });
    await page.keyboard.press('Control+k');
    await palette.getByRole('combobox').fill('go to nora');
    await page.keyboard.press('Enter');
    await page.locator('.chat-header h2', { hasText: 'Nora Lindqvist' }).waitFor();
    await page.keyboard.press('Control+k');
    await palette.getByRole('combobox').fill('statistics');
    await page.keyboard.press('ArrowDown'); // one match: stays on it
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Statistics' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Statistics' }).waitFor({ state: 'detached' });
    await page.keyboard.press('Control+k');
    await palette.getByRole('combobox').fill('zzz nothing');
    await page.locator('.palette-empty').waitFor();
    assert.match(await page.getByRole('dialog', { name: 'Command palette' }).textContent(), /Nothing matches “zzz nothing”/);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog', { name: 'Command palette' }).waitFor({ state: 'detached' });
  });

  test('shortcuts: archive, mark unread, next unread, reply, the composer, the sheet', async () => {
    const page = await app();
    await openChat(page, calm);
    await page.keyboard.press('Control+Shift+A');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'set_conversation_flags' && c.args.archived === true));
    await page.getByRole('button', { name: 'Unarchive' }).waitFor();
    await page.keyboard.press('Control+Shift+U');
    await page.locator('.no-chat').waitFor();
    assert.deepEqual((await calls(page, 'mark_unread')).map((c) => c.args), [{ id: calm.id }], 'marked unread, the chat closes');

    // Next unread from the top of the list opens the first unread conversation.
    const firstUnread = all.find((c) => c.unread_count > 0);
    await page.keyboard.press('Alt+Shift+ArrowDown');
    await page.locator('.chat-header h2', { hasText: firstUnread.display_name }).waitFor();

    // Reply to the customer's latest message: the quote shows and the composer has the focus.
    await page.keyboard.press('Control+Shift+R');
    await page.locator('.composer .reply-preview, .composer .quote, .composer [class*="reply"]').first().waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'TEXTAREA');
    // While typing, ? is a character, not the sheet.
    await page.keyboard.type('?');
    assert.equal(await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).count(), 0);
    await page.keyboard.press('Control+/');
    const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await sheet.waitFor();
    assert.ok((await sheet.locator('.shortcut-row').count()) >= 12);
    assert.match(await sheet.textContent(), /Ctrl\+Shift\+AArchive the open conversation/);
    await page.keyboard.press('Escape');
    await page.locator('.chat-header').click();
    await page.keyboard.press('Alt+c');
    assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'TEXTAREA', 'Alt+C focuses the composer');
    await page.locator('.chat-header').click();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/shortcuts-light.png` });
  });
});
