// Settings → Opening hours and automatic replies, and the automatic mark in
// the chat, in headless Chromium against the built UI, with the answers
// recorded from the real handlers on the sample inbox
// (tests/ui/fixtures/away.json, src-tauri/app/away_tests.rs): the week's
// hours edited and applied at once, a range past midnight refused with the
// core's words, holidays added and removed, the messages saved; an away
// message the engine sent is marked "automatic" in the chat. Both themes,
// screenshots to WICKET_SCREENSHOTS.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { awayFixtures as aw, browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');
const shots = process.env.WICKET_SCREENSHOTS;

async function openSection(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  const section = dialog.getByRole('region', { name: 'Opening hours and automatic replies' });
  await section.getByRole('list', { name: 'Opening hours' }).waitFor();
  return section;
}

describe('opening hours and automatic replies', () => {
  test('the fixtures come from the real handlers', () => {
    assert.equal(aw.set_auto_replies.opening_hours, 'mon-fri 09:00-17:30; sat 10:00-14:00');
    assert.match(aw.set_auto_replies_bad_range.message, /24:00/);
    assert.equal(aw.automatic_messages[String(PRIYA.id)].at(-1).origin, 'automatic');
  });

  test('the week is set day by day and applied at once; a bad range shows the core’s words', async () => {
    const page = await app();
    const section = await openSection(page);
    assert.match(await section.getByRole('status').textContent(), /Open now\. Automatic replies are off\./);
    assert.match(await section.textContent(), /No opening hours: open around the clock/);
    assert.match(await section.textContent(), /Times are in Europe\/London/);

    // Monday opens with the usual hours, then closes later.
    await section.getByRole('switch', { name: 'Monday' }).check();
    await section.getByLabel('Monday closes at').fill('18:00');
    await section.getByLabel('Monday closes at').press('Tab');
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'set_auto_replies').length === 2);
    const sets = (await calls(page, 'set_auto_replies')).map((c) => c.args);
    assert.deepEqual(sets[0].days[0], { day: 'mon', ranges: [{ from: '09:00', to: '17:30' }] });
    assert.deepEqual(sets[1].days[0], { day: 'mon', ranges: [{ from: '09:00', to: '18:00' }] });
    assert.deepEqual(sets[1].days.slice(1).map((d) => d.ranges.length), [0, 0, 0, 0, 0, 0], 'the other days stay closed');

    // Friday until two in the morning is refused, in the core's words; the form keeps it to fix.
    await section.getByRole('switch', { name: 'Friday' }).check();
    await section.getByLabel('Friday opens at').fill('18:00');
    await section.getByLabel('Friday opens at').press('Tab');
    await section.getByLabel('Friday closes at').fill('02:00');
    await section.getByLabel('Friday closes at').press('Tab');
    const alert = section.getByRole('alert');
    await alert.waitFor();
    assert.equal(await alert.textContent(), aw.set_auto_replies_bad_range.message);
    assert.equal(await section.getByLabel('Friday closes at').inputValue(), '02:00');
    await section.getByLabel('Friday closes at').fill('23:00');
    await section.getByLabel('Friday closes at').press('Tab');
    await alert.waitFor({ state: 'detached' });

    // A second range on Monday: half typed, nothing is sent until both ends are there.
    const before = (await calls(page, 'set_auto_replies')).length;
    await section.getByRole('button', { name: 'Add more hours on Monday' }).click();
    assert.equal((await calls(page, 'set_auto_replies')).length, before, 'an empty range waits');
    await section.getByLabel('Monday opens at').nth(1).fill('19:00');
    await section.getByLabel('Monday opens at').nth(1).press('Tab');
    await section.getByLabel('Monday closes at').nth(1).fill('21:00');
    await section.getByLabel('Monday closes at').nth(1).press('Tab');
    await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'set_auto_replies').length > n, before);
    const last = (await calls(page, 'set_auto_replies')).at(-1).args;
    assert.deepEqual(last.days[0].ranges, [{ from: '09:00', to: '18:00' }, { from: '19:00', to: '21:00' }]);
    await section.getByRole('button', { name: "Remove Monday's hours 19:00–21:00" }).click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'set_auto_replies').at(-1).args.days[0].ranges.length === 1);
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`holidays and the two messages, as saved (${colorScheme})`, async () => {
      const page = await app({ autoReplies: true }, { colorScheme, height: 1100 });
      const section = await openSection(page);
      const status = await section.getByRole('status').textContent();
      assert.equal(status, 'Closed now, until Wednesday 11 March at 09:00. A customer who writes now gets the away message.', 'closed on the holiday of 10 March');
      assert.equal(await section.getByLabel('Saturday opens at').inputValue(), '10:00');
      assert.equal(await section.getByRole('switch', { name: 'Sunday' }).isChecked(), false);
      assert.equal(await section.getByLabel('Away message').inputValue(), aw.get_auto_replies.away_message);
      const holidays = section.getByRole('list', { name: 'Holidays' });
      assert.deepEqual(await holidays.locator('time').allTextContents(), ['2026-03-10', '2026-12-25', '2026-12-26']);

      await section.getByLabel('Holiday date').fill('2026-12-24');
      await section.getByRole('button', { name: 'Add holiday' }).click();
      // Sorted as the core keeps them, once it answered.
      await page.waitForFunction(() => [...document.querySelectorAll('ul[aria-label="Holidays"] time')].map((t) => t.textContent).join() === '2026-03-10,2026-12-24,2026-12-25,2026-12-26');
      await section.getByRole('button', { name: 'Remove the holiday 2026-12-26' }).click();
      await holidays.locator('time', { hasText: '2026-12-26' }).waitFor({ state: 'detached' });

      await section.getByLabel('Greeting').fill('  Welcome to Camden Bakery, {first_name}!  ');
      await section.getByLabel('Greeting').press('Tab');
      await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'set_auto_replies').at(-1)?.args.greeting_message.includes('Camden'));
      assert.equal(await section.getByLabel('Greeting').inputValue(), 'Welcome to Camden Bakery, {first_name}!', 'what the core stored');
      const sets = (await calls(page, 'set_auto_replies')).map((c) => c.args);
      assert.deepEqual(sets.at(-1).holidays, ['2026-03-10', '2026-12-24', '2026-12-25']);
      if (shots) await section.screenshot({ path: `${shots}/auto-replies-${colorScheme}.png` });
    });

    test(`an away message in the chat is marked automatic (${colorScheme})`, async () => {
      const page = await app({ automatic: true }, { colorScheme });
      await openChat(page, PRIYA);
      const reply = aw.automatic_messages[String(PRIYA.id)].at(-1);
      const bubble = page.locator('.bubble', { hasText: reply.text });
      await bubble.waitFor();
      assert.equal(await bubble.locator('.automatic').textContent(), 'automatic');
      assert.match(await bubble.locator('.automatic').getAttribute('title'), /away or greeting message/);
      const question = page.locator('.bubble', { hasText: 'Are you open tomorrow?' });
      assert.equal(await question.locator('.automatic').count(), 0, 'the customer’s message is not');
      if (shots) await page.locator('.chat').screenshot({ path: `${shots}/auto-reply-bubble-${colorScheme}.png` });
    });
  }
});
