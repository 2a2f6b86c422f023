// The bulk screen in headless Chromium against the built UI, the IPC mocked
// from fixtures recorded from the real handlers (src-tauri/app/bulk_tests.rs):
// a CSV picked from disk is checked (a bad number, a missing parameter, a
// duplicate: Start stays off), the fixed file previews and starts, the
// progress bar follows the job through Pause and Resume to the final report;
// a label's free-text job is cancelled. Screenshots in both themes go to
// WICKET_UI_SHOTS (default /tmp).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { browserSuite, bulkFixtures, calls } from './harness.mjs';

const app = browserSuite();
const CSV = fileURLToPath(new URL('./fixtures/customers.csv', import.meta.url));
const FIXED = fileURLToPath(new URL('./fixtures/customers-fixed.csv', import.meta.url));

/** The report's rows: [row, phone, result]. */
async function reportRows(page) {
  return page.locator('.bulk-report tbody tr').evaluateAll((rows) => rows.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));
}

async function openBulk(page) {
  await page.getByRole('button', { name: 'Bulk send' }).click();
  const dialog = page.getByRole('dialog', { name: 'Bulk send' });
  await dialog.waitFor();
  return dialog;
}

describe('bulk send', () => {
  test('the fixtures come from the real handlers', () => {
    assert.deepEqual(bulkFixtures.bulk_check.rows.map((r) => r.outcome), ['ok', 'ok', 'invalid', 'ok', 'skipped', 'invalid']);
    assert.equal(bulkFixtures.bulk_job.at(-1).state, 'done');
    assert.equal(bulkFixtures.bulk_cancel.state, 'cancelled');
  });

  for (const scheme of ['light', 'dark']) {
    test(`a CSV is checked, fixed, previewed, started, paused, resumed and reported (${scheme})`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 900 });
      const dialog = await openBulk(page);
      assert.equal(await dialog.getByLabel('Account', { exact: true }).inputValue(), '1', 'the first account');
      const check = dialog.getByRole('button', { name: 'Check' });
      assert.equal(await check.isDisabled(), true, 'nothing to check yet');
      await dialog.getByLabel('CSV file', { exact: true }).setInputFiles(CSV);
      await dialog.getByLabel('Template', { exact: true }).selectOption({ label: 'follow up (en_GB)' });
      assert.deepEqual(await dialog.getByLabel('Template', { exact: true }).locator('option').allTextContents(), [
        'Choose a template…',
        'follow up (en_GB)',
        'order ready (en_GB)',
        'parcel photo (en_GB)',
      ], 'only sendable templates');
      await check.click();
      await dialog.locator('.bulk-report').waitFor();
      assert.deepEqual(await reportRows(page), [
        ['2', '+447911123101', 'ok'],
        ['3', '07911 123102', 'ok'],
        ['4', 'not-a-number', 'invalid'],
        ['5', '+447911123103', 'ok'],
        ['6', '+44 7911 123101', 'skipped'],
        ['7', '+447911123104', 'invalid'],
      ]);
      assert.match(await dialog.locator('.bulk-report h3').textContent(), /3 to send · 1 skipped · 2 invalid/);
      assert.match(await dialog.locator('.bulk-row-invalid').last().textContent(), /missing parameter "topic"/);
      // Each parameter is read from the column of its name.
      assert.equal(await dialog.getByLabel('Parameter first_name from').inputValue(), 'first_name');
      assert.equal(await dialog.getByLabel('Parameter topic from').inputValue(), 'topic');
      const start = dialog.getByRole('button', { name: /^Start/ });
      assert.equal(await start.isDisabled(), true, 'invalid rows: nothing can start');
      assert.equal(await start.getAttribute('title'), 'Fix the invalid rows first');
      await page.locator('.settings.bulk').screenshot({ path: shot('bulk-report') });
      await page.screenshot({ path: shot('bulk-window') });

      // The fixed file: a preview of the first rows, and Start.
      await dialog.getByLabel('CSV file', { exact: true }).setInputFiles(FIXED);
      await dialog.locator('.bulk-report').waitFor({ state: 'detached' }); // a new file: the old report is gone
      await check.click();
      await dialog.locator('.bulk-preview').waitFor();
      assert.deepEqual(await dialog.locator('.bulk-preview-item .bubble-like').allTextContents(), [
        "Hi Priya! We still have your question about the birthday cake. Reply here and we'll help.\n[Yes please]",
        "Hi Tom! We still have your question about rye bread. Reply here and we'll help.\n[Yes please]",
        "Hi Ann! We still have your question about gluten-free loaves. Reply here and we'll help.\n[Yes please]",
      ]);
      assert.equal(await start.textContent(), ' Start: send to 4');
      await page.locator('.settings.bulk').screenshot({ path: shot('bulk-preview') });
      await start.click();
      const job = dialog.getByRole('region', { name: 'Bulk job' });
      await job.waitFor();
      const [asked] = (await calls(page, 'bulk_start')).map((c) => c.args);
      assert.equal(asked.file_name, 'customers-fixed.csv');
      assert.match(asked.csv, /^phone,first_name,topic\n/);
      assert.deepEqual([asked.account_id, asked.template, asked.language, asked.columns, asked.values], [1, 'follow_up', 'en_GB', { first_name: 'first_name', topic: 'topic' }, {}]);

      // The progress bar follows the job (polled); Pause and Resume steer it.
      await page.waitForFunction(() => document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow') === '3');
      assert.equal(await job.getByRole('progressbar').getAttribute('aria-valuetext'), '3 of 5', 'two sent and the duplicate skipped');
      await job.getByRole('button', { name: 'Pause' }).click();
      await job.locator('.bulk-state', { hasText: 'Paused' }).waitFor();
      await page.locator('.settings.bulk').screenshot({ path: shot('bulk-paused') });
      await job.getByRole('button', { name: 'Resume' }).click();
      await job.locator('.bulk-state', { hasText: 'Sending' }).waitFor();
      await job.locator('.bulk-state', { hasText: 'Done' }).waitFor();
      assert.equal(await job.getByRole('progressbar').getAttribute('aria-valuenow'), '5');
      const counts = await job.locator('.bulk-counts div').evaluateAll((ds) => ds.map((d) => `${d.querySelector('dt').textContent} ${d.querySelector('dd').textContent}`));
      assert.deepEqual(counts, ['Queued 0', 'Sent 3', 'Delivered 2', 'Read 1', 'Failed 1', 'Skipped 1']);
      const report = await job.locator('.bulk-reasons li').allTextContents();
      assert.deepEqual(report, ['1 failed: 131026: this number is not on WhatsApp', '1 skipped: duplicate: +447911123101 is already in row 2']);
      assert.deepEqual((await calls(page, 'bulk_pause')).length + (await calls(page, 'bulk_resume')).length, 2);
      await page.locator('.settings.bulk').screenshot({ path: shot('bulk-done') });
    });
  }

  test("a label's free-text job is cancelled, and Escape closes the screen", async () => {
    const page = await app({}, { width: 1200, height: 900 });
    const dialog = await openBulk(page);
    // Earlier jobs are listed, newest first, and open with their report.
    const recent = dialog.getByRole('region', { name: 'Recent bulk jobs' });
    assert.deepEqual(await recent.locator('li').evaluateAll((lis) => lis.map((li) => li.querySelector('.bulk-state').textContent + ' ' + li.querySelector('.muted').textContent)), [
      'Cancelled label market · 0 of 1 sent',
      'Done file customers.csv · 3 of 5 sent',
    ]);
    await recent.getByRole('button', { name: /Show job 1/ }).click();
    await dialog.getByRole('region', { name: 'Bulk job' }).locator('.bulk-state', { hasText: 'Done' }).waitFor();
    await dialog.getByRole('button', { name: 'New bulk send' }).click();
    await dialog.getByLabel('Account', { exact: true }).selectOption({ label: 'Market stall' });
    assert.equal(await dialog.getByRole('radio', { name: 'A template' }).isDisabled(), true, 'a gateway account sends free text');
    await dialog.getByRole('radio', { name: 'A label' }).check();
    await dialog.getByLabel('Label', { exact: true }).selectOption('market');
    await dialog.getByLabel('Text', { exact: true }).fill('The stall is closed this Saturday');
    await dialog.getByRole('button', { name: 'Check' }).click();
    await dialog.locator('.bulk-report').waitFor();
    assert.deepEqual((await calls(page, 'bulk_check')).map((c) => c.args), [{ account_id: 2, label: 'market', text: 'The stall is closed this Saturday' }]);
    await dialog.getByRole('button', { name: /^Start/ }).click();
    const job = dialog.getByRole('region', { name: 'Bulk job' });
    await job.getByRole('button', { name: 'Cancel the rest' }).click();
    await job.locator('.bulk-state', { hasText: 'Cancelled' }).waitFor();
    assert.deepEqual(await job.locator('.bulk-reasons li').allTextContents(), ['1 skipped: cancelled']);
    assert.equal(await job.getByRole('button', { name: 'Pause' }).count(), 0, 'a cancelled job cannot be steered');
    await job.getByRole('button', { name: 'New bulk send' }).click();
    await dialog.getByRole('button', { name: 'Check' }).waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });
});
