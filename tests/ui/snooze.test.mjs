// Snooze and reminders in headless Chromium against the built UI, the IPC
// mocked from answers recorded from the real handlers
// (src-tauri/app/snooze_tests.rs): a chat snoozed from its header (a preset)
// or the palette leaves the list for the Snoozed view and comes back with
// Unsnooze; "Remind me" on a message sets a reminder shown above the
// composer (cancelled there); a reminder's notification opens the chat at
// its message. Screenshots in both themes go to WICKET_UI_SHOTS (default /tmp).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, snoozeFixtures as sz, SAMPLE_NOW } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');
const MARKET = all.find((c) => c.display_name === 'Mrs Patel (market)');
const HOUR = 3_600_000;
const emit = (page, event, payload) => page.evaluate(([event, payload]) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }), [event, payload]);
const listed = (page) => page.locator('.conv').evaluateAll((rows) => rows.map((r) => Number(r.dataset.conversationId)));

describe('snooze and reminders', () => {
  test('the fixtures come from the real handlers', () => {
    assert.equal(sz.snooze_conversation.snoozed_until - SAMPLE_NOW, 3 * HOUR);
    assert.deepEqual(sz.list_snoozed.map((c) => c.id), [PRIYA.id]);
    assert.deepEqual(sz.list_reminders.map((r) => [r.remind_at - SAMPLE_NOW, r.note]), [[HOUR, 'Check the sourdough order'], [24 * HOUR, '']]);
  });

  for (const scheme of ['light', 'dark']) {
    test(`snoozed from the header and the palette, seen in Snoozed, brought back (${scheme})`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1280, height: 820 });
      await openChat(page, MARKET);
      await page.getByRole('button', { name: 'Snooze', exact: true }).click();
      const menu = page.getByRole('dialog', { name: 'Snooze until' });
      await menu.waitFor();
      const presets = await menu.locator('.send-later-preset').evaluateAll((b) => b.map((x) => x.textContent));
      // 12:01 on Tuesday 10 March (London): in three hours on the hour, tomorrow at 9, Monday at 9.
      assert.deepEqual(presets, ['Later today' + 'Today, 16:00', 'Tomorrow morning' + 'Tomorrow, 09:00', 'Next week' + 'Mon 16 Mar, 09:00']);
      await page.locator('.chat').screenshot({ path: shot('snooze-menu') });
      await menu.getByRole('button', { name: /Tomorrow morning/ }).click();
      await page.waitForFunction((id) => !document.querySelector(`.conv[data-conversation-id="${id}"]`), MARKET.id);
      assert.deepEqual((await calls(page, 'snooze_conversation')).map((c) => c.args), [{ conversation_id: MARKET.id, until: new Date(SAMPLE_NOW + 21 * HOUR).toISOString() }]);
      assert.equal(await page.locator('.chat').count(), 0, 'the chat closes: it is put away');

      // The palette snoozes the next one ("later today").
      await openChat(page, PRIYA);
      await page.keyboard.press('Control+k');
      await page.getByRole('combobox', { name: 'Type a command or a name' }).fill('snooze later');
      await page.getByRole('option', { name: 'Snooze Priya Shah: later today' }).click();
      await page.waitForFunction((id) => !document.querySelector(`.conv[data-conversation-id="${id}"]`), PRIYA.id);
      assert.equal((await calls(page, 'snooze_conversation'))[1].args.until, new Date(SAMPLE_NOW + 4 * HOUR).toISOString());

      // The Snoozed view lists both; Unsnooze brings one back.
      await page.getByRole('button', { name: 'Snoozed' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.conv').length === 2);
      assert.deepEqual((await listed(page)).sort(), [PRIYA.id, MARKET.id].sort());
      const back = (await page.locator('.conv-snoozed').allTextContents()).map((t) => t.trim());
      assert.deepEqual(back, ['Today, 16:00', 'Tomorrow, 09:00'], 'each row says when it comes back (Priya is pinned, so first)');
      await page.locator('.app').screenshot({ path: shot('snooze-view') });
      await openChat(page, MARKET);
      await page.getByRole('button', { name: 'Unsnooze (snoozed until Tomorrow, 09:00)' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
      assert.deepEqual((await calls(page, 'unsnooze_conversation')).map((c) => c.args), [{ id: MARKET.id }]);
      await page.getByRole('button', { name: 'All chats' }).click();
      await page.locator(`.conv[data-conversation-id="${MARKET.id}"]`).waitFor();
      assert.ok(!(await listed(page)).includes(PRIYA.id), 'the other stays snoozed');
    });

    test(`"Remind me" on a message, the chat's reminders, a reminder's notification (${scheme})`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({ reminders: true }, { colorScheme: scheme, width: 1280, height: 820 });
      await openChat(page, PRIYA);
      const list = page.getByRole('region', { name: 'Reminders' });
      await list.waitFor();
      assert.deepEqual(await list.locator('.reminder-item time').allTextContents(), ['Today, 13:00', 'Tomorrow, 12:00'], 'the recorded ones, soonest first');
      assert.equal(await list.locator('.reminder-text').first().textContent(), 'Check the sourdough order');

      const bubble = page.locator('.bubble-row.in').first();
      await bubble.hover();
      await bubble.getByRole('button', { name: 'Remind me' }).click();
      const dialog = page.getByRole('dialog', { name: 'Remind me' });
      await dialog.getByLabel('Note (optional)').fill('Send the cake quote');
      await page.locator('.remind-dialog').screenshot({ path: shot('remind-dialog') });
      await dialog.getByRole('button', { name: /Next week/ }).click();
      await page.waitForFunction(() => document.querySelectorAll('.reminders .reminder-item').length === 3);
      const [asked] = (await calls(page, 'add_reminder')).map((c) => c.args);
      assert.deepEqual(asked, { message_id: Number(await bubble.getAttribute('data-message-id')), at: new Date(Date.UTC(2026, 2, 16, 9)).toISOString(), note: 'Send the cake quote' });
      assert.equal(await list.locator('.reminder-text').last().textContent(), 'Send the cake quote');
      await page.locator('.chat').screenshot({ path: shot('reminders-chat') });

      await list.getByRole('button', { name: 'Cancel the reminder for Today, 13:00' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.reminders .reminder-item').length === 2);
      assert.deepEqual((await calls(page, 'cancel_reminder')).map((c) => c.args), [{ id: sz.list_reminders[0].id }]);

      // The reminder's notification was clicked: the chat opens at its message.
      await page.getByRole('button', { name: 'All chats' }).click();
      await emit(page, 'open-conversation', { conversation_id: PRIYA.id, message_id: sz.list_reminders[1].message_id });
      await page.waitForFunction((id) => window.__calls.some((c) => c.cmd === 'list_messages' && c.args.around === id), sz.list_reminders[1].message_id);
      await page.locator(`.bubble-row[data-message-id="${sz.list_reminders[1].message_id}"]`).waitFor();
    });
  }
});
