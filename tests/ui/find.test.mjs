// Search that finds the message, in headless Chromium against the built UI:
// a result shows the matching words marked and opens its conversation at
// that message, highlighted, in a 100,000-message conversation, with newer
// pages loaded on scrolling down; Ctrl+F in a chat finds in it, with the
// count, next and previous. Answers shaped as recorded from the real
// handlers (tests/ui/fixtures/inbox.json: search, search_conversation).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');

describe('search that finds the message', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`a result marks the words and opens at its message (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      await page.getByRole('searchbox').or(page.locator('.search input')).first().fill('sourdough');
      const hit = page.locator('.hit').first();
      await hit.waitFor();
      assert.match((await hit.locator('mark').first().textContent()).toLowerCase(), /^sourdough/);
      const found = fixtures.search.sourdough[0];
      await hit.click();
      await page.locator(`.found [data-message-id="${found.message_id}"]`).waitFor();
      const asked = (await calls(page, 'list_messages')).map((c) => c.args);
      assert.ok(asked.some((a) => a.around === found.message_id), `the page around the message: ${JSON.stringify(asked)}`);
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/search-open-${colorScheme}.png` });
    });
  }

  test('results are grouped by conversation; filters narrow them (account, label, dates, media); more load on scroll', async () => {
    const page = await app();
    await page.locator('.search input').fill('bread');
    await page.locator('.hit').first().waitFor();
    const all = fixtures.search.bread;
    const groups = await page.locator('.hit-group').evaluateAll((gs) => gs.map((g) => [g.querySelector('.conv-name').textContent, g.querySelectorAll('.hit').length]));
    const expected = [];
    for (const h of all) {
      const last = expected[expected.length - 1];
      const at = expected.findIndex((g) => g[0] === h.display_name);
      if (at >= 0) expected[at][1]++;
      else expected.push([h.display_name, 1]);
    }
    assert.deepEqual(groups, expected, 'one group per conversation, newest first');
    const filters = page.getByRole('group', { name: 'Search filters' });
    await filters.getByLabel('Has media').check();
    await page.waitForFunction((n) => document.querySelectorAll('.hit').length === n, fixtures.search['bread|has_media=true'].length);
    const last = (await calls(page, 'search')).pop().args;
    assert.equal(last.has_media, true);
    await filters.getByLabel('Account').selectOption({ label: fixtures.list_accounts[0].name });
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'search').pop().args.account_id !== undefined);
    await page.getByText(/with these filters/).waitFor();
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('.hit').length === n, all.length);
    // A date range: the "to" day is included whole (local midnight to midnight).
    await filters.getByLabel('From').fill('2026-03-10');
    await filters.getByLabel('To').fill('2026-03-10');
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'search').pop().args.until !== undefined);
    const ranged = (await calls(page, 'search')).pop().args;
    assert.equal(ranged.until - ranged.since, 86_400_000);
    assert.equal(new Date(ranged.since).toISOString(), '2026-03-10T00:00:00.000Z', 'London midnight in March is UTC midnight');
    if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/search-filters.png` });
  });

  test('more results are asked for as the results scroll', async () => {
    const page = await app({ manyHits: 120 }, { height: 500 });
    await page.locator('.search input').fill('many');
    await page.waitForFunction(() => document.querySelectorAll('.hit').length === 50);
    assert.equal((await calls(page, 'search')).pop().args.limit, 50);
    await page.getByText('Scroll for more results…').waitFor();
    for (const want of [100, 120]) {
      await page.locator('.list-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
      await page.waitForFunction((n) => document.querySelectorAll('.hit').length === n, want);
    }
    assert.deepEqual((await calls(page, 'search')).map((c) => c.args.limit), [50, 100, 150]);
    assert.equal(await page.getByText('Scroll for more results…').count(), 0, 'all shown: nothing more to ask for');
  });

  test('in a 100,000-message conversation: Ctrl+F finds, counts, steps, and newer pages load below', async () => {
    const page = await app({ long: 100000 });
    await openChat(page, PRIYA);
    await page.locator('[data-message-id="100000"]').waitFor();
    await page.locator('.messages').click();
    await page.keyboard.press('Control+f');
    const bar = page.getByRole('search', { name: 'Find in this conversation' });
    await bar.waitFor();
    await bar.getByRole('searchbox').fill('4242');
    const matches = [];
    for (let id = 100000; id >= 1; id--) if (String(id).includes('4242')) matches.push(id);
    await bar.getByRole('status').filter({ hasText: `1 of ${matches.length}` }).waitFor();
    // The newest match first, far above the loaded page: opened around it.
    await page.locator(`.found [data-message-id="${matches[0]}"]`).waitFor();
    await page.keyboard.press('Enter');
    await bar.getByRole('status').filter({ hasText: `2 of ${matches.length}` }).waitFor();
    await page.locator(`.found [data-message-id="${matches[1]}"]`).waitFor();
    await page.keyboard.press('Shift+Enter');
    await page.locator(`.found [data-message-id="${matches[0]}"]`).waitFor();
    const around = (await calls(page, 'list_messages')).filter((c) => c.args.around != null).map((c) => c.args.around);
    assert.deepEqual(around, [matches[0], matches[1], matches[0]]);
    if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/find-in-chat-light.png` });

    // Scrolling down from a match loads the newer messages after it.
    const before = (await calls(page, 'list_messages')).length;
    await page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'list_messages').length > n, before);
    const last = (await calls(page, 'list_messages')).pop().args;
    assert.ok(last.after > matches[0], `newer after the page: ${JSON.stringify(last)}`);
    assert.ok((await page.locator('.vrow').count()) < 150, 'the DOM stays small');

    await page.keyboard.press('Escape');
    await bar.waitFor({ state: 'detached' });
    assert.equal(await page.locator('.found').count(), 0, 'no highlight once closed');
  });

  test('no match says so', async () => {
    const page = await app({ long: 2000 });
    await openChat(page, PRIYA);
    await page.locator('.messages').click();
    await page.keyboard.press('Control+f');
    await page.getByRole('searchbox', { name: 'Find in this conversation' }).fill('zzz');
    await page.getByRole('status').filter({ hasText: 'No match' }).waitFor();
  });
});
