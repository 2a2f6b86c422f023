// The statistics view in headless Chromium against the built UI, with the
// answer recorded from the real handler on the sample inbox
// (tests/ui/fixtures/stats.json): the figures as tiles, messages per day and
// the busiest hours as SVG charts, failures by reason, and the period and
// account asked again when changed. Both themes, screenshots on request.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, statsFixtures } from './harness.mjs';

const app = browserSuite();
const s = statsFixtures.get_stats;

async function openStats(page) {
  await page.getByRole('button', { name: 'Statistics' }).click();
  const dialog = page.getByRole('dialog', { name: 'Statistics' });
  await dialog.locator('.stat-tile').first().waitFor();
  return dialog;
}

describe('statistics view', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`figures, charts and failures from the shell's answer (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const dialog = await openStats(page);
      const tiles = await dialog.locator('.stat-tile').allTextContents();
      assert.ok(tiles[0].startsWith(String(s.received)) && tiles[0].includes('Received'), tiles[0]);
      assert.ok(tiles[1].startsWith(String(s.sent)) && tiles[1].includes(`${s.failed} failed`), tiles[1]);
      assert.ok(tiles[2].startsWith(`${(s.delivery_rate * 100).toFixed(1)} %`), tiles[2]);
      assert.ok(tiles[3].startsWith(`${(s.read_rate * 100).toFixed(1)} %`), tiles[3]);
      assert.ok(tiles[4].startsWith(`${Math.round(s.median_first_reply_seconds / 60)} min`), tiles[4]);
      // One pair of bars per day, one bar per hour; the busiest hour is named.
      assert.equal(await dialog.locator('.chart').first().locator('rect.bar-in').count(), s.per_day.length);
      assert.equal(await dialog.locator('.chart').nth(1).locator('rect').count(), 24);
      const hours = s.received_by_hour;
      const busiest = hours.indexOf(Math.max(...hours));
      assert.equal(await dialog.locator('.chart svg').nth(1).getAttribute('aria-label'), `Busiest hour: ${busiest}:00 to ${busiest + 1}:00 with ${hours[busiest]} messages`);
      const total = s.per_day.reduce((n, d) => n + d.received, 0);
      assert.match(await dialog.locator('.chart svg').first().getAttribute('aria-label'), new RegExp(`^Messages per day: ${total} received`));
      const failures = await dialog.locator('.stats-failures li').allTextContents();
      assert.equal(failures.length, s.failures.length);
      assert.ok(failures.some((f) => f.includes('(code 131047)')), failures.join(' | '));
      assert.match(await dialog.textContent(), new RegExp(`times in ${s.time_zone}`));
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/stats-${colorScheme}.png` });
    });
  }

  test('the period and the account are asked again; Escape closes', async () => {
    const page = await app();
    const dialog = await openStats(page);
    await dialog.getByRole('button', { name: '30 days' }).click();
    await dialog.getByLabel('Account').selectOption({ label: 'Market stall' });
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'get_stats').length >= 3);
    const asked = (await calls(page, 'get_stats')).map((c) => c.args);
    assert.deepEqual(asked[0], { account_id: null, days: 7 });
    assert.deepEqual(asked[1], { account_id: null, days: 30 });
    assert.equal(asked[2].days, 30);
    assert.ok(asked[2].account_id > 0);
    assert.equal(await dialog.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed'), 'true');
    await page.waitForFunction((n) => document.querySelector('.stat-value')?.textContent === String(n), Math.floor(s.received / 2));
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
