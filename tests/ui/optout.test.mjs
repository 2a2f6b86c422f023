// A customer who opted out (wrote STOP): the contact panel says since when,
// and the composer asks before sending; Cancel keeps the text and sends
// nothing. In headless Chromium against the built UI with the IPC mocked
// from fixtures recorded from the real handlers (the sample's Ahmed opted
// out). Screenshots in both themes go to WICKET_UI_SHOTS (default /tmp).
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, SAMPLE_NOW } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const AHMED = all.find((c) => c.display_name === 'أحمد منصور');
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');

describe('opt-out', () => {
  test('the fixtures carry the opt-out from the real handlers', () => {
    assert.equal(typeof AHMED.opted_out_at, 'number', 'Ahmed opted out');
    assert.equal(PRIYA.opted_out_at, null, 'Priya did not');
  });

  for (const scheme of ['light', 'dark']) {
    test(`the contact panel says so and the composer asks first (${scheme})`, async () => {
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 800 });
      await openChat(page, AHMED);
      await page.getByRole('button', { name: 'Contact info' }).click();
      const line = page.locator('.contact-panel .opted-out');
      assert.match(await line.textContent(), /^Opted out of messages since Tuesday,? 10 March 2026, 07:15\. They wrote STOP/);
      await page.locator('.contact-panel').screenshot({ path: shot('contact-opted-out') });

      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('Fresh gluten-free loaves today');
      await page.keyboard.press('Enter');
      const confirm = page.getByRole('alertdialog', { name: 'Send to a customer who opted out?' });
      await confirm.waitFor();
      assert.match(await confirm.textContent(), /This customer opted out of messages on .* \(they asked for no more messages\)\. Send anyway\?/);
      assert.equal((await calls(page, 'send_text')).length, 0, 'nothing is sent before the owner confirms');
      await page.locator('.composer').screenshot({ path: shot('composer-opted-out') });

      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await confirm.waitFor({ state: 'detached' });
      assert.equal(await box.inputValue(), 'Fresh gluten-free loaves today', 'Cancel keeps the text');
      assert.equal((await calls(page, 'send_text')).length, 0);

      await page.getByRole('button', { name: 'Send', exact: true }).click();
      await confirm.getByRole('button', { name: 'Send anyway' }).click();
      await confirm.waitFor({ state: 'detached' });
      assert.deepEqual(
        (await calls(page, 'send_text')).map((c) => c.args),
        [{ conversation_id: AHMED.id, text: 'Fresh gluten-free loaves today', reply_to: undefined }],
        'sent once, after Send anyway'
      );
    });
  }

  test('a template to a customer who opted out asks first too', async () => {
    const page = await app();
    // Two days later Ahmed's window is closed: only a template can be sent.
    await page.clock.setFixedTime(new Date(SAMPLE_NOW + 2 * 24 * 3600_000));
    await page.reload();
    await page.locator('.conv').first().waitFor();
    await openChat(page, AHMED);
    const group = page.getByRole('group', { name: 'Approved templates' });
    await group.getByRole('radio', { name: /order ready/ }).click();
    await page.getByLabel('Header {{1}}').fill('#4522');
    await page.getByLabel('Body {{1}}').fill('Ahmed');
    await page.getByLabel('Body {{2}}').fill('9:00 on Friday');
    await page.getByRole('button', { name: 'Send template' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Send to a customer who opted out?' });
    await confirm.waitFor();
    assert.equal((await calls(page, 'send_template')).length, 0, 'nothing is sent before the owner confirms');
    await page.locator('.template-form').screenshot({ path: `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/template-opted-out-light.png` });
    await confirm.getByRole('button', { name: 'Send anyway' }).click();
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'send_template'));
    assert.equal((await calls(page, 'send_template'))[0].args.conversation_id, AHMED.id);
  });

  test('a customer who did not opt out is written to at once', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    await page.getByRole('textbox', { name: 'Message' }).fill('See you at 5');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'send_text'));
    assert.equal(await page.locator('.opt-out-confirm').count(), 0);
    await page.getByRole('button', { name: 'Contact info' }).click();
    assert.equal(await page.locator('.contact-panel .opted-out').count(), 0);
  });
});
