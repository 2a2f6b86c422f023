// UI flows in headless Chromium against the built UI (ui/dist), the Tauri IPC
// mocked at the boundary with fixtures recorded from the real handlers.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();

const all = fixtures.list_conversations.all;
const byName = (name) => all.find((c) => c.display_name === name);
const PRIYA = byName('Priya Shah');
const TOM = byName('Tom <b>Baker</b>');
const AHMED = byName('أحمد منصور');
const FLOUR = byName('Flour & Co Supplies');
const PATEL = byName('Mrs Patel (market)');

describe('conversation list', () => {
  test('shows display names, unread pills and pinned first', async () => {
    const page = await app();
    const names = await page.locator('.conv-name').allTextContents();
    const pinned = all.filter((c) => c.pinned).map((c) => c.display_name);
    const rest = all.filter((c) => !c.pinned).map((c) => c.display_name);
    assert.deepEqual(names, [...pinned, ...rest], 'pinned conversations first, then most recent first');
    assert.equal(names[0], 'Priya Shah');
    const pill = page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .pill`);
    assert.equal(await pill.textContent(), String(PRIYA.unread_count));
    assert.equal(await pill.getAttribute('aria-label'), `${PRIYA.unread_count} unread`);
    assert.equal(await page.locator(`.conv[data-conversation-id="${FLOUR.id}"] .pill`).count(), 0, 'read conversations have no pill');
    assert.equal(await page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .conv-time`).textContent(), '11:57', 'today: the clock time');
    assert.equal(await page.locator(`.conv[data-conversation-id="${TOM.id}"] .conv-time`).textContent(), '01/03/2026', 'older than a week: the date');
    assert.equal(await page.locator(`.conv[data-conversation-id="${PATEL.id}"] .conv-time`).textContent(), 'Mon', 'this week: the weekday');
    assert.equal(await page.locator('.conv-name b').count(), 0, 'markup in a name stays text');
    const nameless = all.find((c) => c.last_text === 'contacts');
    assert.equal(await page.locator(`.conv[data-conversation-id="${nameless.id}"] .conv-preview`).textContent(), ' Contact card', 'a media preview names its kind');
    assert.match(await page.locator('.account-banner').textContent(), /Market stall is disconnected since .*: the phone has been offline/);
    assert.match(await page.locator('.engine').textContent(), /Not sending: no engine runs on this data dir/);
  });

  test('filters and accounts ask the shell for the right list', async () => {
    const page = await app();
    await page.getByRole('button', { name: 'Unread', exact: true }).click();
    // The list is replaced when the shell answers: wait for the new length,
    // not for a row that the previous (longer) list already had.
    const unread = fixtures.list_conversations.unread.length;
    await page.waitForFunction((n) => document.querySelectorAll('.conv').length === n, unread);
    assert.equal(await page.locator('.conv').count(), unread);
    await page.getByRole('button', { name: 'Archived', exact: true }).click();
    await page.locator('.conv-name', { hasText: 'Lena Fischer' }).waitFor();
    await page.getByRole('button', { name: /^Market stall/ }).click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'list_conversations').length === 4);
    const requested = (await calls(page, 'list_conversations')).map((c) => `${c.args.filter}:${c.args.account_id ?? '*'}`);
    assert.deepEqual(requested, ['all:*', 'unread:*', 'archived:*', 'archived:2']);
  });

  test('search shows hits and says when nothing matches', async () => {
    const page = await app();
    await page.getByRole('searchbox').fill('sourdough');
    await page.locator('.hit').first().waitFor();
    assert.match(await page.locator('.hit-group').first().textContent(), /Priya Shah.*sourdough/);
    await page.getByRole('searchbox').fill('zebra');
    await page.getByText('No messages or contacts match “zebra”.').waitFor();
  });
});

describe('chat view', () => {
  test('opening a chat reads it and shows messages oldest first with ticks', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const opened = await calls(page, 'open_conversation');
    assert.deepEqual(opened.map((c) => c.args), [{ id: PRIYA.id }], 'opening an unread conversation marks it read');
    await page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .pill`).waitFor({ state: 'detached' });

    const expected = fixtures.list_messages[PRIYA.id];
    const ids = (await page.locator('.bubble-row').evaluateAll((els) => els.map((e) => Number(e.dataset.messageId))));
    assert.deepEqual(ids, expected.map((m) => m.id), 'every message, oldest first');
    const texts = await page.locator('.bubble .text:not(.deleted)').allTextContents();
    assert.deepEqual(texts, expected.filter((m) => (m.text ?? m.caption) && m.deleted_at === null).map((m) => m.text ?? m.caption));

    const outgoing = expected.filter((m) => m.direction === 'out');
    const ticks = await page.locator('.ticks').evaluateAll((els) => els.map((e) => [e.dataset.status, e.getAttribute('aria-label')]));
    assert.deepEqual(ticks.map((t) => t[0]), outgoing.map((m) => m.status), 'one tick mark per outgoing message, by status');
    assert.ok(ticks.some(([s, label]) => s === 'read' && label === 'Read'));
    assert.ok(ticks.some(([s, label]) => s === 'delivered' && label === 'Delivered'));
    assert.equal(await page.locator('.bubble-row.in .ticks').count(), 0, 'incoming messages carry no ticks');
    assert.equal(await page.locator('.bubble-row.out').count(), outgoing.length, 'outgoing on the right');

    assert.deepEqual(await page.locator('.day-sep').allTextContents(), ['Yesterday', 'Today']);
    assert.equal(await page.locator('.new-sep').textContent(), '2 new messages');
    assert.match(await page.locator('.quote', { hasText: 'sourdough' }).textContent(), /Priya Shah.*sourdough ready/, 'a reply quotes its message');
    assert.equal(await page.locator('.chip').first().textContent(), '👍', 'reactions show as chips');
    assert.equal(await page.locator('.media-box.media-image').count(), 1, 'an image has its fixed-ratio box');
    const box = await page.locator('.media-box.media-image').boundingBox();
    assert.ok(Math.abs(box.width / box.height - 4 / 3) < 0.02, `the image box keeps 4:3 (${box.width}x${box.height})`);
    assert.match(await page.locator('.window-badge').textContent(), /Window closes in 23 h 56 min/);
  });

  test('a failed message shows its reason; a closed window says to send a template', async () => {
    const page = await app();
    await openChat(page, FLOUR);
    assert.match(await page.locator('.failed-note').textContent(), /Not sent: More than 24 hours have passed.*Retry/);
    assert.equal(await page.locator('.ticks-failed').getAttribute('aria-label'), 'Not sent');
    assert.equal(await page.locator('.window-badge').textContent(), 'Window closed: send a template');
    assert.ok(await page.getByRole('textbox', { name: 'Message' }).isDisabled(), 'free text is refused before it is typed');
    assert.match(await page.locator('.file-card').textContent(), /invoice-4521\.pdf.*778 B/);
  });

  test('ticks and the engine state update live from the shell\'s events', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const last = fixtures.list_messages[PRIYA.id].filter((m) => m.direction === 'out').at(-1);
    assert.equal(await page.locator(`[data-message-id="${last.id}"] .ticks`).getAttribute('data-status'), 'delivered');
    await page.evaluate((m) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event: 'message-changed', payload: { ...m, status: 'read' } }), last);
    await page.locator(`[data-message-id="${last.id}"] .ticks[data-status="read"]`).waitFor();
    await page.evaluate(() =>
      window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event: 'engine-changed', payload: { state: 'running', listen: '127.0.0.1:8765' } }),
    );
    await page.getByText('Sending and receiving (webhooks on 127.0.0.1:8765)').waitFor();
  });

  test('hostile message text stays inert text', async () => {
    const page = await app();
    await openChat(page, TOM);
    const raw = fixtures.list_messages[TOM.id][0].text;
    assert.match(raw, /<img src=x onerror=/);
    assert.match(raw, /<script>/);
    assert.equal(await page.locator('.bubble .text').textContent(), raw, 'the markup is shown as typed');
    assert.equal(await page.locator('.chat img, .chat script, .chat b').count(), 0, 'no element was made from it');
    await page.waitForTimeout(200);
    assert.equal(await page.title(), 'Wicket', 'no handler ran');
    assert.equal(await page.locator('.chat-header h2').textContent(), 'Tom <b>Baker</b>');
  });

  test('right-to-left text gets dir=auto and is laid out right to left', async () => {
    const page = await app();
    await openChat(page, AHMED);
    const dirs = await page.locator('.bubble .text').evaluateAll((els) => els.map((e) => [e.getAttribute('dir'), e.matches(':dir(rtl)'), e.textContent]));
    assert.ok(dirs.every(([d]) => d === 'auto'), 'every message text has dir=auto');
    assert.deepEqual(dirs.map(([, rtl]) => rtl), [true, false, true], 'Arabic messages run right to left, the English one left to right');
    const sides = await page.locator('.bubble').evaluateAll((els) =>
      els.map((b) => {
        const box = b.getBoundingClientRect();
        const meta = b.querySelector('.meta').getBoundingClientRect();
        return meta.left + meta.width / 2 < box.left + box.width / 2 ? 'left' : 'right';
      }),
    );
    assert.deepEqual(sides, ['left', 'right', 'left'], 'the time sits where each line of text ends');
    assert.equal(await page.locator('.chat-header h2').getAttribute('dir'), 'auto');
    assert.equal(await page.getByRole('textbox', { name: 'Message' }).getAttribute('dir'), 'auto');
  });

  test('a long conversation keeps few nodes and loads older pages on scroll up', async () => {
    const page = await app({ long: 100000 });
    await openChat(page, PRIYA);
    await page.locator('[data-message-id="100000"]').waitFor();
    const initial = await page.locator('.vrow').count();
    assert.ok(initial < 120, `only rows near the viewport are in the DOM (${initial})`);
    const scroller = page.locator('.messages');
    for (let i = 0; i < 6; i++) {
      const before = (await calls(page, 'list_messages')).length;
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'list_messages').length > n, before);
      await page.waitForTimeout(50);
    }
    const pages = await calls(page, 'list_messages');
    assert.ok(pages.length >= 7, `older pages were requested (${pages.length})`);
    assert.ok(pages.slice(1).every((c, i) => c.args.before < (pages[i].args.before ?? Infinity)), 'each page continues before the last');
    const nodes = await page.locator('.vrow').count();
    const messages = await page.locator('.bubble-row').count();
    assert.ok(nodes < 150, `the DOM stays small after loading ${pages.length} pages (${nodes} rows)`);
    assert.ok(messages > 5, 'messages are still shown');
    const top = await scroller.evaluate((el) => el.scrollTop);
    assert.ok(top > 0, 'loading older messages keeps the reader in place instead of jumping to the top');
  });

  test('reading far back keeps a bounded window of messages: the newest go, and come back on scrolling down', async () => {
    const page = await app({ long: 100000 });
    await openChat(page, PRIYA);
    await page.locator('[data-message-id="100000"]').waitFor();
    const scroller = page.locator('.messages');
    // KEEP (ChatView.tsx) is 20 pages of 60: read back 24 pages.
    for (let i = 0; i < 24; i++) {
      const before = (await calls(page, 'list_messages')).length;
      await scroller.evaluate((el) => (el.scrollTop = 0));
      await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'list_messages').length > n, before);
      await page.waitForTimeout(30);
    }
    const asked = (await calls(page, 'list_messages')).length;
    assert.equal((await calls(page, 'list_messages')).filter((c) => c.args.after !== undefined).length, 0, 'nothing newer was needed yet');
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction((n) => window.__calls.filter((c) => c.cmd === 'list_messages').length > n, asked);
    const newer = (await calls(page, 'list_messages')).filter((c) => c.args.after !== undefined);
    assert.ok(newer.length >= 1, 'the newest messages were let go and are asked for again on scrolling down');
    const oldest = Math.min(...(await calls(page, 'list_messages')).filter((c) => c.args.before !== undefined).map((c) => c.args.before)) - 60;
    assert.ok(newer[0].args.after < 100000, `the newest were let go (after ${newer[0].args.after})`);
    assert.ok(newer[0].args.after - oldest < 20 * 60, `at most 20 pages were kept (${oldest}..${newer[0].args.after})`);
  });
});

describe('composer', () => {
  test('Enter sends, Shift+Enter adds a line', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.click();
    await page.keyboard.type('line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    assert.equal(await box.inputValue(), 'line one\nline two');
    assert.equal((await calls(page, 'send_text')).length, 0, 'Shift+Enter does not send');
    await page.keyboard.press('Enter');
    await page.locator('.bubble-row.out .text', { hasText: 'line two' }).waitFor();
    assert.deepEqual((await calls(page, 'send_text')).map((c) => c.args), [{ conversation_id: PRIYA.id, text: 'line one\nline two', reply_to: undefined }]);
    assert.equal(await box.inputValue(), '', 'the composer empties after sending');
    assert.equal(await page.locator('.bubble-row.out').last().locator('.ticks').getAttribute('data-status'), 'pending', 'a queued message shows the clock');
    assert.equal(await page.locator('.bubble-row.out .text').last().textContent(), 'line one\nline two');
  });

  test('replying quotes the message', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const target = fixtures.list_messages[PRIYA.id].find((m) => m.text === 'Or 6 if that\'s easier!');
    await page.locator(`[data-message-id="${target.id}"] .bubble`).hover();
    await page.locator(`[data-message-id="${target.id}"] .reply-btn`).click();
    assert.match(await page.locator('.replying').textContent(), /Or 6 if that's easier!/);
    await page.getByRole('textbox', { name: 'Message' }).fill('6 is perfect');
    await page.keyboard.press('Enter');
    await page.locator('.replying').waitFor({ state: 'detached' });
    assert.equal((await calls(page, 'send_text'))[0].args.reply_to, target.id);
  });

  test('a refused send keeps the text and says why', async () => {
    const page = await app({ sendError: true });
    await openChat(page, PRIYA);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('See you at 5!');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByRole('alert').textContent(), fixtures.send_text_outside_window.message);
    assert.equal(await box.inputValue(), 'See you at 5!', 'nothing typed is lost');
  });

  test('drafts are saved per conversation', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    await page.getByRole('textbox', { name: 'Message' }).fill('Half-typed answer');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'save_draft'));
    assert.deepEqual((await calls(page, 'save_draft')).at(-1).args, { conversation_id: PRIYA.id, text: 'Half-typed answer' });
    await openChat(page, FLOUR);
    assert.match(await page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .conv-preview`).textContent(), /Draft: Half-typed answer/);
  });
});
