// Quick replies in headless Chromium against the built UI, the IPC mocked
// from answers recorded from the real handlers (src-tauri/app/craft_tests.rs):
// `/` in the composer opens the menu, filtered as typed; arrows and Enter
// insert the reply filled for the contact (its file attached); Escape closes;
// Settings adds, edits and removes them. Screenshots in both themes go to
// WICKET_SCREENSHOTS (default /tmp).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, quickNotesFixtures as qn } from './harness.mjs';

const app = browserSuite();
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');
const shots = process.env.WICKET_SCREENSHOTS ?? process.env.WICKET_UI_SHOTS ?? '/tmp';

/** The menu's options: [shortcut, text]. */
async function options(page) {
  return page.getByRole('option').evaluateAll((items) => items.map((li) => [li.querySelector('.quick-reply-shortcut').textContent, li.querySelector('.quick-reply-text').textContent]));
}

describe('quick replies', () => {
  test('the fixtures come from the real handlers', () => {
    assert.deepEqual(qn.list_quick_replies.map((q) => q.shortcut), ['call', 'hours', 'thanks']);
    assert.equal(qn.fill_quick_reply[String(PRIYA.id)].thanks.text, 'Thanks Priya! Your order is on its way.');
  });

  for (const scheme of ['light', 'dark']) {
    test(`typing / offers them, filtered; Enter inserts one filled for the contact (${scheme})`, async () => {
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 800 });
      await openChat(page, PRIYA);
      const box = page.getByRole('textbox', { name: 'Message' });
      await box.fill('');
      await box.pressSequentially('/');
      const menu = page.getByRole('listbox', { name: 'Quick replies' });
      await menu.waitFor();
      assert.deepEqual((await options(page)).map((o) => o[0]), ['/call', '/hours', '/thanks']);
      assert.equal(await page.getByRole('option', { selected: true }).locator('.quick-reply-shortcut').textContent(), '/call');
      assert.match(await page.locator('.quick-reply', { hasText: '/hours' }).locator('.quick-reply-file').textContent(), /Opening hours\.pdf/);
      await page.locator('.chat').screenshot({ path: `${shots}/quick-replies-menu-${scheme}.png` });

      await box.pressSequentially('th');
      assert.deepEqual(await options(page), [['/thanks', 'Thanks {first_name}! Your order is on its way.']], 'filtered as typed');
      await page.keyboard.press('Enter');
      await menu.waitFor({ state: 'detached' });
      assert.equal(await box.inputValue(), 'Thanks Priya! Your order is on its way.', 'filled by the core for Priya, /th replaced');
      assert.deepEqual((await calls(page, 'fill_quick_reply')).map((c) => c.args), [{ shortcut: 'thanks', conversation_id: PRIYA.id }]);
      assert.equal((await calls(page, 'send_text')).length, 0, 'Enter picked the reply; nothing was sent');
      assert.equal(await box.evaluate((el) => el.selectionStart), 'Thanks Priya! Your order is on its way.'.length, 'the cursor is after the insert');
      await page.locator('.composer').screenshot({ path: `${shots}/quick-replies-inserted-${scheme}.png` });
    });
  }

  test('arrow keys choose; a reply with a file attaches it; Escape closes and stays closed for that word', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const box = page.locator('.composer textarea'); // its name becomes Caption once a file is attached
    await box.fill('Hello! ');
    await box.press('End');
    await box.pressSequentially('/');
    await page.getByRole('listbox', { name: 'Quick replies' }).waitFor();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByRole('option', { selected: true }).locator('.quick-reply-shortcut').textContent(), '/hours');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await page.getByRole('option', { selected: true }).locator('.quick-reply-shortcut').textContent(), '/thanks', 'up from the first wraps to the last');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('.composer textarea').value.includes('Priya.'));
    assert.equal(await box.inputValue(), 'Hello! We are open 9:00–17:30, Priya.', 'the text before the / stays');
    const attachment = page.getByRole('list', { name: 'Attachments' });
    await attachment.waitFor();
    assert.match(await attachment.textContent(), /Opening hours\.pdf/);
    assert.equal(await box.getAttribute('aria-label'), 'Caption', 'the text becomes the file’s caption');

    await box.pressSequentially(' /ca');
    await page.getByRole('listbox', { name: 'Quick replies' }).waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('listbox', { name: 'Quick replies' }).waitFor({ state: 'detached' });
    assert.match(await box.inputValue(), / \/ca$/, 'Escape closes without inserting');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'send_media'));
    const [sent] = (await calls(page, 'send_media')).map((c) => c.args);
    assert.equal(sent.file_name, 'Opening hours.pdf');
    assert.equal(Buffer.from(sent.bytes).toString(), '%PDF-1.4 opening hours', 'the quick reply’s own file went with it, as bytes');
    assert.match(sent.caption, /^Hello! We are open 9:00–17:30, Priya\. \/ca$/);
  });

  test('a / inside a word is text, and no match says where to add them', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('');
    await box.pressSequentially('and/or');
    assert.equal(await page.locator('.quick-replies').count(), 0);
    await box.pressSequentially(' /zzz');
    const none = page.locator('.quick-replies-none');
    await none.waitFor();
    assert.match(await none.textContent(), /No quick reply matches \/zzz\. Add them in Settings → Quick replies\./);
    await page.keyboard.press('Escape');
    await none.waitFor({ state: 'detached' });
  });

  for (const scheme of ['light', 'dark']) {
    test(`Settings adds, edits and removes them (${scheme})`, async () => {
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 900 });
      await page.getByRole('button', { name: 'Settings' }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      const section = dialog.getByRole('region', { name: 'Quick replies' });
      await section.locator('.quick-reply-row').first().waitFor();
      assert.deepEqual(await section.locator('.quick-reply-row .quick-reply-shortcut').allTextContents(), ['/call', '/hours', '/thanks']);

      await section.getByRole('button', { name: 'Add a quick reply' }).click();
      const form = section.getByRole('form', { name: 'New quick reply' });
      await form.getByLabel('Shortcut').fill('thanks');
      await form.getByLabel('Text').fill('Thanks again {name}');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.getByRole('alert').waitFor();
      assert.match(await form.getByRole('alert').textContent(), /\/thanks is already taken/, 'the core’s words');
      await form.getByLabel('Shortcut').fill('collect');
      await form.locator('input[type=file]').setInputFiles({ name: 'map.png', mimeType: 'image/png', buffer: Buffer.from('png') });
      assert.match(await form.locator('.quick-reply-file').textContent(), /map\.png/);
      await section.screenshot({ path: `${shots}/quick-replies-settings-${scheme}.png` });
      await form.getByRole('button', { name: 'Save' }).click();
      await form.waitFor({ state: 'detached' });
      assert.deepEqual(await section.locator('.quick-reply-row .quick-reply-shortcut').allTextContents(), ['/call', '/collect', '/hours', '/thanks']);
      const [saved] = (await calls(page, 'save_quick_reply')).slice(-1).map((c) => c.args);
      assert.deepEqual([saved.shortcut, saved.text, saved.file.file_name, Buffer.from(saved.bytes).toString()], ['collect', 'Thanks again {name}', 'map.png', 'png']);

      await section.getByRole('button', { name: 'Edit /hours' }).click();
      const edit = section.getByRole('form', { name: 'Edit /hours' });
      await edit.getByRole('button', { name: 'Remove the file Opening hours.pdf' }).click();
      await edit.getByLabel('Text').fill('Open 9–5 today');
      await edit.getByRole('button', { name: 'Save' }).click();
      await edit.waitFor({ state: 'detached' });
      const [edited] = (await calls(page, 'save_quick_reply')).slice(-1).map((c) => c.args);
      assert.deepEqual([edited.id, edited.text, edited.remove_file, edited.file], [qn.list_quick_replies[1].id, 'Open 9–5 today', true, undefined]);
      assert.equal(await section.locator('.quick-reply-row', { hasText: '/hours' }).locator('.quick-reply-file').count(), 0);

      await section.getByRole('button', { name: 'Remove /call' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.quick-reply-row').length === 3);
      assert.deepEqual((await calls(page, 'remove_quick_reply')).map((c) => c.args), [{ shortcut: 'call' }]);
    });
  }
});
