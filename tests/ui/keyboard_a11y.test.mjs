// Accessibility beyond axe: the list and the chat on the arrow keys, the
// polite announcement of new messages, the window's zoom, and the layout at
// 800 × 600 (at 100 % and at 150 % zoom). Headless Chromium, built UI.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const all = fixtures.list_conversations.all;
const PRIYA = all.find((c) => c.display_name === 'Priya Shah');
const msgs = (c) => fixtures.list_messages[String(c.id)];
const focused = (page) => page.evaluate(() => document.activeElement?.closest('[data-conversation-id]')?.dataset.conversationId ?? document.activeElement?.dataset.sel ?? null);
const emit = (page, event, payload) => page.evaluate(([event, payload]) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload }), [event, payload]);

describe('the arrow keys', () => {
  test('walk the conversation list from the search box; Enter opens one', async () => {
    const page = await app();
    const ids = await page.locator('.convs .conv').evaluateAll((els) => els.map((e) => e.dataset.conversationId));
    await page.locator('.search input').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(page), ids[0], 'Down in the search box enters the list');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await focused(page), ids[2]);
    await page.keyboard.press('ArrowUp');
    assert.equal(await focused(page), ids[1]);
    await page.keyboard.press('End');
    assert.equal(await focused(page), ids[ids.length - 1]);
    await page.keyboard.press('Home');
    assert.equal(await focused(page), ids[0]);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const second = all.find((c) => String(c.id) === ids[1]);
    await page.locator('.chat-header h2', { hasText: second.display_name }).waitFor();
  });

  test('walk the search results', async () => {
    const page = await app();
    await page.locator('.search input').fill('sourdough');
    await page.locator('.hit').first().waitFor();
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('hit')), true);
  });

  test('choose a message in the chat; the reply shortcut answers the chosen one; Escape leaves it', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const list = msgs(PRIYA);
    await page.locator('.messages').focus();
    await page.keyboard.press('ArrowUp');
    const newest = String(list[list.length - 1].id);
    assert.equal(await focused(page), newest, 'Up from the log chooses the newest message in view');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    const chosen = list[list.length - 3];
    assert.equal(await focused(page), String(chosen.id));
    assert.equal(await page.locator(`[data-sel="${chosen.id}"]`).getAttribute('class'), 'selected');
    await page.keyboard.press('ArrowDown');
    const back = list[list.length - 2];
    assert.equal(await focused(page), String(back.id));
    await page.keyboard.press('Home');
    assert.equal(await focused(page), String(list[0].id), 'Home: the oldest loaded message');
    await page.keyboard.press('End');
    assert.equal(await focused(page), newest);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Control+Shift+R');
    await page.locator('.composer .reply-preview, .composer .quote, .composer [class*="reply"]').first().waitFor();
    const quote = await page.locator('.composer .reply-preview, .composer .quote, .composer [class*="reply"]').first().textContent();
    const expected = list[list.length - 2];
    assert.ok(quote.includes((expected.text ?? expected.caption ?? '').slice(0, 20)), `the quote is the chosen message: ${quote}`);
    await page.locator('.messages').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('messages')), true);
    assert.equal(await page.locator('[data-sel].selected').count(), 0);
  });
});

describe('new messages are announced politely', () => {
  test('a customer message is read out once; a burst is one sentence; own messages and muted chats are not', async () => {
    const page = await app();
    const live = page.locator('[aria-live="polite"][data-testid="announcer"]');
    const base = msgs(PRIYA)[msgs(PRIYA).length - 1];
    const inbound = { ...base, id: 990001, direction: 'in', kind: 'text', text: 'Is the shop open on Sunday?' };
    await emit(page, 'message-received', { message: inbound, conversation: PRIYA });
    await page.waitForFunction(() => document.querySelector('[data-testid="announcer"]').textContent !== '');
    assert.equal(await live.textContent(), 'New message from Priya Shah: Is the shop open on Sunday?');
    const other = all.find((c) => c.id !== PRIYA.id && !c.muted);
    await emit(page, 'message-received', { message: { ...inbound, id: 990002, text: 'one' }, conversation: PRIYA });
    await emit(page, 'message-received', { message: { ...inbound, id: 990003, text: 'two' }, conversation: other });
    await emit(page, 'message-received', { message: { ...inbound, id: 990004, direction: 'out', text: 'mine' }, conversation: other });
    await emit(page, 'message-received', { message: { ...inbound, id: 990005, text: 'hush' }, conversation: { ...other, muted: true } });
    await page.waitForFunction(() => /^2 new/.test(document.querySelector('[data-testid="announcer"]').textContent));
    assert.equal(await live.textContent(), `2 new messages from Priya Shah and 1 other`);
  });
});

describe('zoom and small windows', () => {
  test('Ctrl+= and Ctrl+- zoom the webview a step, Ctrl+0 resets; the level is kept for the next start', async () => {
    const page = await app();
    await page.keyboard.press('Control+=');
    await page.keyboard.press('Control+=');
    await page.keyboard.press('Control+-');
    await page.keyboard.press('Control+0');
    const zooms = (await calls(page, 'plugin:webview|set_webview_zoom')).map((c) => c.args.value);
    assert.deepEqual(zooms, [1.1, 1.25, 1.1, 1]);
    await page.keyboard.press('Control+=');
    await page.reload();
    await page.locator('.conv').first().waitFor();
    assert.deepEqual((await calls(page, 'plugin:webview|set_webview_zoom')).map((c) => c.args.value), [1.1], 'restored at start');
  });

  test('text follows the system font size (the webview default), and the layout holds at 800 × 600', async () => {
    const page = await app({}, { width: 800, height: 600 });
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert.equal(await size(), 14, 'at the usual 16 px default');
    // A desktop set to large text: the browser's default font size, as WebKitGTK takes it from the system.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Page.setFontSizes', { fontSizes: { standard: 20, fixed: 20 } });
    await page.reload();
    await page.locator('.conv').first().waitFor();
    assert.equal(await size(), 17.5, 'body text scales with it');
    await openChat(page, PRIYA);
    const fit = await page.evaluate(() => {
      const r = document.querySelector('.composer textarea').getBoundingClientRect();
      return { overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth, composer: r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5 };
    });
    assert.deepEqual(fit, { overflow: 0, composer: true });
  });

  // Page zoom at 150 % in an 800 × 600 window lays out as a 533 × 400 CSS viewport at 1.5 device pixels per pixel.
  for (const [name, view] of [
    ['800 × 600', { width: 800, height: 600 }],
    ['800 × 600 at 150 % zoom', { width: 533, height: 400, deviceScaleFactor: 1.5 }],
  ]) {
    test(`${name}: nothing spills sideways; the list, the chat header and the composer stay usable`, async () => {
      const page = await app({}, view);
      await openChat(page, PRIYA);
      const fit = await page.evaluate(() => {
        const inView = (sel) => {
          const el = document.querySelector(sel);
          if (!el) return `${sel}: missing`;
          const r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth + 0.5 && r.top >= 0 && r.bottom <= innerHeight + 0.5 ? 'ok' : `${sel}: ${JSON.stringify(r)}`;
        };
        return {
          overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          header: inView('.chat-header h2'),
          composer: inView('.composer textarea'),
          send: inView('.composer button[aria-label="Send"], .composer .send'),
        };
      });
      assert.deepEqual(fit, { overflow: 0, header: 'ok', composer: 'ok', send: 'ok' });
      const back = page.getByRole('button', { name: 'Back to the conversation list' });
      if (view.width < 760) {
        // Too narrow for both panes: the chat has the room, Back returns to the list.
        assert.equal(await page.locator('.list-pane').isVisible(), false);
        await back.click();
        await page.locator('.conv').first().waitFor();
        assert.equal(await page.locator('.chat-pane').isVisible(), false);
      } else {
        assert.equal(await back.isVisible(), false, 'both panes fit: no Back button');
        assert.equal(await page.locator('.conv').first().isVisible(), true);
      }
    });
  }
});

describe('what a new user tripped over', () => {
  test('the start shows no empty inbox before the first list arrives', async () => {
    const page = await app({ listDelay: 400 });
    // Watch the next start from its first paint.
    await page.addInitScript(() => {
      window.__sawEmpty = false;
      new MutationObserver(() => {
        if (document.body?.textContent?.includes('No conversations yet')) window.__sawEmpty = true;
      }).observe(document, { childList: true, subtree: true, characterData: true });
    });
    await page.reload();
    await page.locator('.app-loading[aria-busy="true"]').waitFor();
    await page.locator('.conv').first().waitFor();
    assert.equal(await page.evaluate(() => window.__sawEmpty), false);
  });

  test('the contact panel names the account without doubled brackets', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    await page.getByRole('button', { name: 'Contact info' }).click();
    const talks = page.locator('.contact-panel dt', { hasText: 'Talks to' }).locator('xpath=following-sibling::dd');
    const text = await talks.textContent();
    assert.doesNotMatch(text, /\(\(|\)\)/);
    assert.match(text, / · /);
  });

  test('"Try the demo" with a demo account already there opens it instead of adding a second', async () => {
    const page = await app();
    const demo = fixtures.list_accounts.find((a) => a.provider === 'demo');
    await page.getByRole('button', { name: 'Add account' }).click();
    await page.getByRole('button', { name: 'Try the demo' }).click();
    await page.locator('.wizard').waitFor({ state: 'detached' });
    assert.equal((await calls(page, 'wizard_add_demo')).length, 0, 'no second demo');
    assert.equal(await page.locator(`.rail-btn[aria-label^="${demo.name}:"]`).getAttribute('aria-pressed'), 'true', 'its inbox is shown');
  });
});
