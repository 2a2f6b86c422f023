// The public address in the inbox, in headless Chromium against the built UI
// (ui/dist), the IPC mocked with answers recorded from the real handlers
// (tests/ui/fixtures/public_address.json, src-tauri/app/tests.rs): the
// banner when customers' messages cannot reach this computer, Restart and
// Stop, the line under the list while it works, and the shell's
// `public-address-health` event.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressFixtures as pa, browserSuite, calls } from './harness.mjs';

const app = browserSuite();

const emit = (page, event, payload) => page.evaluate(([event, payload]) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }), [event, payload]);
const banner = (page) => page.locator('.address-banner');

describe('public address', () => {
  test('the recorded answers say what the banner needs', () => {
    assert.equal(pa.status_unreachable.state, 'unreachable');
    assert.match(pa.status_unreachable.reason, /^Customers' messages cannot reach this computer: the cloudflared tunnel stopped\. Restart it$/);
    assert.equal(pa.status_unreachable.fix, 'restart');
    assert.equal(pa.public_address_restart.state, 'reachable');
    assert.equal(pa.public_address_stop.state, 'stopped');
    assert.equal(pa.status_unconfigured.state, 'unconfigured');
  });

  test('nothing is said while no public address was chosen', async () => {
    const page = await app();
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'public_address_status'));
    assert.equal(await banner(page).count(), 0);
    assert.equal(await page.locator('.address-note').count(), 0);
  });

  test('a stopped tunnel shows the reason in plain words, and Restart fixes it', async () => {
    const page = await app({ address: 'unreachable', addressDelay: 'held' });
    const b = banner(page);
    await b.waitFor();
    assert.equal(await b.getAttribute('role'), 'alert', 'announced to screen readers');
    assert.match(await b.textContent(), /Customers' messages cannot reach this computer: the cloudflared tunnel stopped\. Restart it/);
    const restart = b.getByRole('button', { name: 'Restart' });
    assert.equal(await b.getByRole('button', { name: 'Stop' }).count(), 1, 'the tunnel can be stopped from the banner too');
    await restart.click();
    await b.getByRole('button', { name: 'Restarting…' }).waitFor();
    assert.equal(await b.getByRole('button', { name: 'Stop' }).isDisabled(), true, 'one action at a time');
    await page.evaluate(() => window.__releaseRestart());
    await b.waitFor({ state: 'detached' });
    assert.equal((await calls(page, 'public_address_restart')).length, 1);
    const note = page.locator('.address-note');
    await note.waitFor();
    assert.match(await note.textContent(), new RegExp(`Reachable at ${pa.public_address_restart.public_url.replace(/[.]/g, '\\.')}`));
  });

  test('Stop stops the tunnel; the banner says so and offers Restart only', async () => {
    const page = await app({ address: 'unreachable' });
    await banner(page).getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'public_address_stop'));
    const b = banner(page);
    await b.getByText(pa.public_address_stop.reason).waitFor();
    assert.equal(await b.getByRole('button', { name: 'Stop' }).count(), 0, 'nothing left to stop');
    assert.equal(await b.getByRole('button', { name: 'Restart' }).count(), 1);
  });

  test('the shell\'s event brings the banner, and a passed check takes it away', async () => {
    const page = await app({ address: 'reachable' });
    await page.locator('.address-note').waitFor();
    assert.equal(await banner(page).count(), 0);
    await emit(page, 'public-address-health', pa.status_unreachable);
    await banner(page).waitFor();
    await emit(page, 'public-address-health', pa.public_address_restart);
    await banner(page).waitFor({ state: 'detached' });
  });

  test('the banner in both themes (screenshots for review)', async () => {
    for (const colorScheme of ['light', 'dark']) {
      const page = await app({ address: 'unreachable' }, { colorScheme });
      await banner(page).waitFor();
      if (process.env.WICKET_SCREENSHOTS) await page.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/public-address-${colorScheme}.png` });
      const contrast = await banner(page).evaluate((el) => getComputedStyle(el).color !== getComputedStyle(el).backgroundColor);
      assert.ok(contrast);
    }
  });
});
