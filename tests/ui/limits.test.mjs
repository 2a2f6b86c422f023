// An account's sending limits in Settings → Accounts, in headless Chromium
// against the built UI, with answers recorded from the real handlers
// (tests/ui/fixtures/limits.json): folded into one line, opened, changed and
// saved as the shell types them, and a refusal shown with its reason.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, limitsFixtures as lf } from './harness.mjs';

const app = browserSuite();

async function openLimits(page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  await page.getByRole('heading', { name: 'Accounts' }).waitFor();
  const row = page.locator('.acct-row').first();
  const limits = row.locator('.acct-limits');
  await limits.waitFor();
  return limits;
}

describe('sending limits', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`shown in a line, changed and saved (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const limits = await openLimits(page);
      const d = lf.account_limits;
      assert.equal(
        await limits.locator('summary').textContent(),
        `Sending limits: ${d.max_per_second} a second · ${d.max_per_hour.toLocaleString('en-US')} an hour · ${d.recipient_gap_seconds} s between messages to one customer`,
      );
      await limits.locator('summary').click();
      await limits.getByLabel('Messages per second').fill('40');
      await limits.getByLabel('Messages per hour').fill('5000');
      await limits.getByLabel('Seconds between two messages to one customer').fill('0');
      await limits.getByRole('button', { name: 'Save limits' }).click();
      await limits.getByRole('status').waitFor();
      const saved = (await calls(page, 'set_account_limits')).map((c) => c.args);
      assert.equal(saved.length, 1);
      assert.deepEqual(saved[0].limits, lf.set_account_limits, 'the three limits, as the shell types them');
      assert.match(await limits.locator('summary').textContent(), /40 a second · 5,000 an hour · no wait between messages to one customer/);
      await limits.scrollIntoViewIfNeeded();
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/limits-${colorScheme}.png` });
    });
  }

  test('a refused change shows the reason and keeps the stored limits', async () => {
    const page = await app();
    const limits = await openLimits(page);
    await limits.locator('summary').click();
    const field = limits.getByLabel('Messages per second');
    await field.fill('0');
    // The browser's own check would stop a submit below min: the shell's refusal is what is tested here.
    await field.evaluate((el) => el.removeAttribute('min'));
    await limits.getByRole('button', { name: 'Save limits' }).click();
    await limits.getByRole('alert').waitFor();
    assert.equal(await limits.getByRole('alert').textContent(), lf.set_account_limits_invalid.message);
    assert.match(await limits.locator('summary').textContent(), /^Sending limits: 10 a second/);
  });
});
