// Alerts in the inbox in headless Chromium against the built UI: a banner
// per alert with what fixes it, recorded from the real handler
// (tests/ui/fixtures/settings.json, list_alerts); an account's plain status
// banner gives way to its alert; choosing an account shows only its alerts
// (and the data dir's); the list is asked again when the shell says it changed.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, settingsFixtures as st } from './harness.mjs';

const app = browserSuite();
const emit = (page, event, payload) => page.evaluate(([event, payload]) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }), [event, payload]);

describe('alerts', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`each alert is a banner that says what to do (${colorScheme})`, async () => {
      const page = await app({ alerts: st.list_alerts }, { colorScheme });
      const banners = page.locator('.alert-banner');
      await banners.first().waitFor();
      // Collapsed: the most serious one only, so the conversations stay in view.
      assert.equal(await banners.count(), 1);
      assert.equal(await banners.getAttribute('data-kind'), st.list_alerts.find((a) => a.severity === 'critical').kind);
      assert.ok(await page.locator('.conv').first().isVisible(), 'the list stays visible');
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/alerts-collapsed-${colorScheme}.png` });
      await page.getByRole('button', { name: `Show all ${st.list_alerts.length} and what to do` }).click();
      assert.equal(await banners.count(), st.list_alerts.length);
      for (const a of st.list_alerts) {
        const b = page.locator(`.alert-banner[data-kind="${a.kind}"]`);
        const text = await b.textContent();
        assert.ok(text.includes(a.message) && text.includes(a.action), `${a.kind}: ${text}`);
        assert.ok(text.includes(a.account_name), text);
      }
      const token = page.locator('.alert-banner[data-kind="token_expired"]');
      const bg = await token.evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(bg, colorScheme === 'dark' ? 'rgb(58, 27, 26)' : 'rgb(253, 232, 230)', 'critical alerts on the danger surface');
      // Market stall's bare "is disconnected" banner gave way to its alert.
      assert.equal(await page.locator('.account-banner:not(.alert-banner)', { hasText: 'Market stall' }).count(), 0);
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/alerts-${colorScheme}.png` });
    });
  }

  test('an account in view shows its own alerts; a change is fetched again', async () => {
    const page = await app({ alerts: st.list_alerts });
    await page.locator('.alert-banner').first().waitFor();
    const market = st.list_alerts.find((a) => a.account_name === 'Market stall');
    await page.getByRole('button', { name: 'Market stall' }).click();
    await page.getByRole('button', { name: 'What to do' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.alert-banner').length === 1);
    assert.ok((await page.locator('.alert-banner').textContent()).includes(market.message));
    assert.ok((await page.locator('.alert-banner').textContent()).includes(market.action));
    await page.getByRole('button', { name: 'Hide' }).click();
    await page.locator('.alert-collapsed').waitFor();
    const before = (await calls(page, 'list_alerts')).length;
    await emit(page, 'alerts-changed', null);
    await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'list_alerts').length > n, before);
  });

  test('no alerts, no banners (and the plain status banner stays)', async () => {
    const page = await app();
    await page.locator('.conv').first().waitFor();
    assert.equal(await page.locator('.alert-banner').count(), 0);
    assert.equal(await page.locator('.account-banner', { hasText: 'Market stall' }).count(), 1);
  });
});
