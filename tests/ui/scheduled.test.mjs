// "Send later" in the composer and the chat's scheduled messages, in headless
// Chromium against the built UI, the IPC mocked from fixtures recorded from
// the real handlers (src-tauri/app/scheduled_tests.rs). Presets and a picked
// date-time schedule the text (never sent now), Cancel removes one, and
// free text past Meta's window is refused with the core's words. Screenshots
// in both themes go to WICKET_UI_SHOTS (default /tmp).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, scheduledFixtures, SAMPLE_NOW } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const MARKET = all.find((c) => c.display_name === 'Mrs Patel (market)');
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');
const AHMED = all.find((c) => c.display_name === 'أحمد منصور');
const HOUR = 3_600_000;

/** The scheduled list's rows: [when, text]. */
async function rows(page) {
  return page.locator('.scheduled-item').evaluateAll((items) => items.map((li) => [li.querySelector('time').textContent, li.querySelector('.scheduled-text').textContent]));
}

describe('send later', () => {
  test('the fixtures come from the real handlers', () => {
    const list = scheduledFixtures.list_scheduled[String(MARKET.id)];
    assert.deepEqual(list.map((s) => [s.send_at - SAMPLE_NOW, s.state]), [[HOUR, 'scheduled'], [21 * HOUR, 'scheduled']]);
    assert.equal(scheduledFixtures.schedule_text_outside_window.kind, 'outside_window');
  });

  for (const scheme of ['light', 'dark']) {
    test(`presets, a picked time and Cancel (${scheme})`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 800 });
      await openChat(page, MARKET);
      const list = page.getByRole('region', { name: 'Scheduled messages' });
      await list.waitFor();
      assert.deepEqual(await rows(page), [
        ['Today, 13:00', 'Your six loaves are ready 🍞'],
        ['Tomorrow, 09:00', 'Stall opens at 10 on Saturday'],
      ]);
      assert.match(await list.locator('h3').textContent(), /Scheduled \(2\)/);

      const later = page.getByRole('button', { name: 'Send later' });
      assert.equal(await later.isDisabled(), true, 'nothing to schedule before the text is typed');
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('Fresh rye on Saturday, shall I keep you two?');
      await later.click();
      const menu = page.getByRole('dialog', { name: 'Send later' });
      await menu.waitFor();
      const presets = await menu.locator('.send-later-preset').allTextContents();
      assert.deepEqual(presets, ['In 1 hourToday, 13:01', 'Tomorrow at 9:00Tomorrow, 09:00']);
      await page.locator('.chat').screenshot({ path: shot('send-later-menu') });

      await menu.getByRole('button', { name: /Tomorrow at 9:00/ }).click();
      await menu.waitFor({ state: 'detached' });
      assert.deepEqual(
        (await calls(page, 'schedule_text')).map((c) => c.args),
        [{ conversation_id: MARKET.id, text: 'Fresh rye on Saturday, shall I keep you two?', send_at: new Date(SAMPLE_NOW + 21 * HOUR).toISOString(), reply_to: undefined }],
        'tomorrow at 09:00 London time'
      );
      assert.equal((await calls(page, 'send_text')).length, 0, 'scheduled, not sent');
      assert.equal(await box.inputValue(), '', 'the text left the composer');
      await page.waitForFunction(() => document.querySelectorAll('.scheduled-item').length === 3);
      assert.deepEqual((await rows(page)).map((r) => r[1]), ['Your six loaves are ready 🍞', 'Stall opens at 10 on Saturday', 'Fresh rye on Saturday, shall I keep you two?']);

      // A picked date and time, passed as typed: the core reads it in the owner's zone.
      await box.fill('Invoice for March attached to your order');
      await later.click();
      await menu.getByLabel('Pick a date and time').fill('2026-03-12T18:30');
      await menu.getByRole('button', { name: 'Schedule' }).click();
      await menu.waitFor({ state: 'detached' });
      assert.equal((await calls(page, 'schedule_text'))[1].args.send_at, '2026-03-12T18:30');
      await page.waitForFunction(() => document.querySelectorAll('.scheduled-item').length === 4);
      assert.deepEqual((await rows(page))[3], ['Thu 12 Mar, 18:30', 'Invoice for March attached to your order']);
      await list.screenshot({ path: shot('scheduled-list') });

      // Cancel takes it out; the core is asked once.
      await list.getByRole('button', { name: 'Cancel the message scheduled for Today, 13:00' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.scheduled-item').length === 3);
      assert.deepEqual((await calls(page, 'cancel_scheduled')).map((c) => c.args), [{ id: scheduledFixtures.list_scheduled[String(MARKET.id)][0].id }]);
      assert.equal((await rows(page))[0][0], 'Tomorrow, 09:00');
      await page.locator('.chat').screenshot({ path: shot('scheduled-chat') });
    });
  }

  test("free text past Meta's window is refused with the core's reason, and the text stays", async () => {
    const page = await app();
    await openChat(page, PRIYA);
    assert.equal(await page.locator('.scheduled').count(), 0, 'no list when nothing is scheduled');
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('Your cake is ready for collection');
    await page.getByRole('button', { name: 'Send later' }).click();
    const menu = page.getByRole('dialog', { name: 'Send later' });
    assert.match(await menu.locator('.send-later-note').textContent(), /window closes Tomorrow, 11:57: after that only a template can be sent/);
    await menu.getByLabel('Pick a date and time').fill('2026-03-11T13:00');
    await menu.getByRole('button', { name: 'Schedule' }).click();
    const error = page.locator('.chat-error');
    await error.waitFor();
    assert.match(await error.textContent(), /24-hour customer-service window .* schedule an approved template instead/);
    assert.equal(await box.inputValue(), 'Your cake is ready for collection', 'a refused schedule keeps the text');
    assert.equal(await menu.isVisible(), true, 'the menu stays open to pick an earlier time');
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Send later', 'focus goes back to the button');
  });

  for (const scheme of ['light', 'dark']) {
    test(`a template is scheduled from the template form when the window is closed (${scheme})`, async () => {
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 800 });
      // Two days later Priya's window is closed: only a template can go, now or later.
      await page.clock.setFixedTime(new Date(SAMPLE_NOW + 2 * 24 * HOUR));
      await page.reload();
      await page.locator('.conv').first().waitFor();
      await openChat(page, PRIYA);
      assert.equal(await page.getByRole('button', { name: 'Send later', exact: true }).isDisabled(), true, 'no free text later either');
      const group = page.getByRole('group', { name: 'Approved templates' });
      await group.getByRole('radio', { name: /order ready/ }).click();
      const later = page.getByRole('button', { name: 'Send the template later' });
      assert.equal(await later.getAttribute('title'), 'Fill in the template first');
      await page.getByLabel('Header {{1}}').fill('#4522');
      await page.getByLabel('Body {{1}}').fill('Priya');
      await page.getByLabel('Body {{2}}').fill('9:00 on Friday');
      await later.click();
      const menu = page.getByRole('dialog', { name: 'Send the template later' });
      await menu.waitFor();
      assert.equal(await menu.locator('.send-later-note').count(), 0, 'a template has no window to mind');
      await page.locator('.composer').screenshot({ path: `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/send-template-later-${scheme}.png` });
      await menu.getByRole('button', { name: /Tomorrow at 9:00/ }).click();
      await menu.waitFor({ state: 'detached' });
      const [asked] = (await calls(page, 'schedule_template')).map((c) => c.args);
      assert.equal(asked.send_at, new Date(SAMPLE_NOW + 2 * 24 * HOUR + 21 * HOUR).toISOString());
      assert.deepEqual(asked.template.body_params.map((p) => p.value), ['Priya', '9:00 on Friday']);
      assert.equal((await calls(page, 'send_template')).length, 0, 'scheduled, not sent');
      await page.locator('.scheduled-item').waitFor();
      assert.deepEqual(await rows(page), [['Tomorrow, 09:00', '[template order_ready (en_GB)]']]);
    });
  }

  test('a customer who opted out is not scheduled for from the window', async () => {
    const page = await app();
    await openChat(page, AHMED);
    await page.getByRole('textbox', { name: 'Message' }).fill('Your order is ready');
    const later = page.getByRole('button', { name: 'Send later' });
    assert.equal(await later.isDisabled(), true);
    assert.equal(await later.getAttribute('title'), 'This customer opted out of messages');
  });
});
