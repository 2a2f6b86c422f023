// Private notes in headless Chromium against the built UI, the IPC mocked
// from answers recorded from the real handlers (src-tauri/app/craft_tests.rs):
// shown in the chat and the contact panel as private ("only you see this",
// never sent), added, edited and deleted in place, found by search marked as
// notes. Screenshots in both themes go to WICKET_SCREENSHOTS (default /tmp).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat, quickNotesFixtures as qn } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');
const MARKET = all.find((c) => c.display_name === 'Mrs Patel (market)');
const shots = process.env.WICKET_SCREENSHOTS ?? process.env.WICKET_UI_SHOTS ?? '/tmp';

/** The texts of a notes section, in order. */
async function texts(section) {
  return section.locator('.note-text').allTextContents();
}

describe('notes', () => {
  test('the fixtures come from the real handlers', () => {
    const list = qn.list_notes[String(PRIYA.id)];
    assert.deepEqual(list.map((n) => [n.text, n.contact_id !== null]), [['Wants the sourdough sliced, every time', false], ['Allergic to sesame', true]]);
    assert.equal(qn.search.sesame[0].kind, 'note');
  });

  for (const scheme of ['light', 'dark']) {
    test(`the chat and the contact panel show them as private; add, edit, delete (${scheme})`, async () => {
      const page = await app({}, { colorScheme: scheme, width: 1280, height: 860 });
      await openChat(page, PRIYA);
      const chatNotes = page.getByRole('region', { name: 'Private notes' });
      // One line until opened: the latest note, and that it is private.
      const toggle = chatNotes.getByRole('button', { name: 'Private notes (2)' });
      await toggle.waitFor();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
      assert.equal(await chatNotes.locator('.notes-peek').textContent(), 'Allergic to sesame');
      assert.match(await chatNotes.locator('h3').textContent(), /Private notes \(2\)Allergic to sesameOnly you see this · never sent/);
      await page.locator('.chat').screenshot({ path: `${shots}/notes-chat-closed-${scheme}.png` });
      await toggle.click();
      await chatNotes.locator('.note').first().waitFor();
      assert.deepEqual(await texts(chatNotes), ['Wants the sourdough sliced, every time', 'Allergic to sesame']);
      assert.match(await chatNotes.locator('.note').nth(1).locator('.note-meta').textContent(), /on the contact/);
      const bubbles = await page.locator('.bubble').allTextContents();
      assert.ok(!bubbles.some((b) => b.includes('sesame')), 'notes are not messages');

      // A new note on the conversation: typed, saved, never sent.
      await chatNotes.getByRole('button', { name: 'Add a note' }).click();
      await chatNotes.getByLabel('New note').fill('Pays on collection, cash only');
      await chatNotes.getByRole('button', { name: 'Save note' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.chat .notes .note').length === 3);
      assert.deepEqual((await calls(page, 'add_note')).map((c) => c.args), [{ conversation_id: PRIYA.id, on_contact: false, text: 'Pays on collection, cash only' }]);
      assert.equal((await calls(page, 'send_text')).length + (await calls(page, 'send_media')).length, 0, 'a note is never sent');
      await page.locator('.chat').screenshot({ path: `${shots}/notes-chat-${scheme}.png` });

      // Edited in place.
      await chatNotes.getByRole('button', { name: 'Edit the note: Pays on collection, cash only' }).click();
      await chatNotes.getByRole('textbox', { name: 'Edit the note' }).fill('Pays on collection, card or cash');
      await chatNotes.getByRole('button', { name: 'Save note' }).click();
      await page.waitForFunction(() => [...document.querySelectorAll('.chat .note-text')].some((n) => n.textContent === 'Pays on collection, card or cash'));
      assert.equal((await calls(page, 'edit_note'))[0].args.text, 'Pays on collection, card or cash');

      // The contact panel: the contact's notes only; one added there goes on the contact.
      await page.getByRole('button', { name: 'Contact info' }).click();
      const panelNotes = page.getByRole('complementary', { name: 'About Priya Shah' }).getByRole('region', { name: 'Notes' });
      await panelNotes.waitFor();
      assert.deepEqual(await texts(panelNotes), ['Allergic to sesame']);
      await panelNotes.getByRole('button', { name: 'Add a note' }).click();
      await panelNotes.getByLabel('New note').fill('Birthday 14 May');
      await panelNotes.getByRole('button', { name: 'Save note' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.contact-panel .note').length === 2);
      assert.deepEqual((await calls(page, 'add_note'))[1].args, { conversation_id: PRIYA.id, on_contact: true, text: 'Birthday 14 May' });
      assert.deepEqual(await texts(chatNotes), ['Wants the sourdough sliced, every time', 'Allergic to sesame', 'Pays on collection, card or cash', 'Birthday 14 May'], 'the chat shows it too');
      await page.locator('.contact-panel').screenshot({ path: `${shots}/notes-panel-${scheme}.png` });

      // Deleted: gone from both.
      await panelNotes.getByRole('button', { name: 'Delete the note: Allergic to sesame' }).click();
      await page.waitForFunction(() => document.querySelectorAll('.contact-panel .note').length === 1);
      assert.deepEqual((await calls(page, 'delete_note')).map((c) => c.args), [{ id: qn.list_notes[String(PRIYA.id)][1].id }]);
      assert.ok(!(await texts(chatNotes)).includes('Allergic to sesame'));
    });
  }

  test('a chat without notes offers to add one; an empty note cannot be saved; Escape closes the editor', async () => {
    const page = await app();
    await openChat(page, MARKET);
    const chatNotes = page.getByRole('region', { name: 'Private notes' });
    assert.equal(await chatNotes.locator('.note').count(), 0);
    assert.match(await chatNotes.locator('h3').textContent(), /^\s*Private notesOnly you see this · never sent$/);
    await chatNotes.getByRole('button', { name: 'Private notes' }).click();
    await chatNotes.getByRole('button', { name: 'Add a note' }).click();
    await chatNotes.getByLabel('New note').fill('   ');
    assert.equal(await chatNotes.getByRole('button', { name: 'Save note' }).isDisabled(), true, 'nothing to save');
    await chatNotes.getByLabel('New note').press('Escape');
    await chatNotes.getByLabel('New note').waitFor({ state: 'detached' });
  });

  for (const scheme of ['light', 'dark']) {
    test(`search finds notes and marks them as private (${scheme})`, async () => {
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 800 });
      await page.getByRole('searchbox').fill('sesame');
      const hit = page.getByRole('list', { name: 'Search results' }).locator('.hit').first();
      await hit.waitFor();
      assert.match(await page.locator('.hit-group').first().textContent(), /Priya Shah.*Private note: Allergic to sesame/, 'under its conversation');
      assert.equal(await hit.evaluate((el) => el.classList.contains('hit-note')), true);
      await page.locator('.list-pane, .sidebar, aside').first().screenshot({ path: `${shots}/notes-search-${scheme}.png` }).catch(() => page.screenshot({ path: `${shots}/notes-search-${scheme}.png` }));
      await hit.click();
      await page.locator('.chat-header h2', { hasText: 'Priya Shah' }).waitFor();
      await page.getByRole('region', { name: 'Private notes' }).locator('.notes-peek').waitFor();
    });
  }
});
