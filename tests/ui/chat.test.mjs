// The chat's media, retries, composer tools (emoji, attachments, templates),
// the contact panel, labels, edits and deletions, locations and contact
// cards, drafts across a reload, in headless Chromium against the built UI
// with the IPC mocked from fixtures recorded from the real handlers.
// WICKET_SCREENSHOTS=DIR also saves the screenshots of the README there.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, openChat } from './harness.mjs';

const app = browserSuite();

const all = fixtures.list_conversations.all;
const byName = (name) => all.find((c) => c.display_name === name);
const PRIYA = byName('Priya Shah');
const JURGEN = byName('Jürgen Müller');
const FLOUR = byName('Flour & Co Supplies');
const PATEL = byName('Mrs Patel (market)');
const NAMELESS = all.find((c) => c.last_text === 'contacts');
const msgs = (c) => fixtures.list_messages[String(c.id)];

describe('media in the chat', () => {
  test('images and stickers are shown inline, voice notes play, documents open', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const image = msgs(PRIYA).find((m) => m.kind === 'image');
    const img = page.locator(`[data-message-id="${image.id}"] .media-image img`);
    await page.waitForFunction((id) => document.querySelector(`[data-message-id="${id}"] img`)?.naturalWidth > 0, image.id);
    assert.equal(await img.getAttribute('alt'), 'Photo: cake-design.jpg');
    const box = await page.locator(`[data-message-id="${image.id}"] .media-box`).boundingBox();
    assert.ok(Math.abs(box.width / box.height - 4 / 3) < 0.02, `the image keeps its 4:3 box (${box.width}x${box.height})`);
    await img.click();
    assert.deepEqual((await calls(page, 'open_media')).map((c) => c.args), [{ id: image.media.id }], 'a click opens it full size in the system viewer');

    const sticker = msgs(PRIYA).find((m) => m.kind === 'sticker');
    await page.waitForFunction((id) => document.querySelector(`[data-message-id="${id}"] .media-sticker img`)?.naturalWidth > 0, sticker.id);

    const voice = msgs(PRIYA).find((m) => m.kind === 'voice');
    const audio = page.locator(`[data-message-id="${voice.id}"] audio`);
    assert.equal(await audio.getAttribute('controls'), '');
    await page.waitForFunction((id) => document.querySelector(`[data-message-id="${id}"] audio`)?.duration > 2.9, voice.id);
    await audio.evaluate((a) => {
      a.muted = true;
      return a.play();
    });
    await page.waitForFunction((id) => document.querySelector(`[data-message-id="${id}"] audio`).currentTime > 0, voice.id);

    await openChat(page, FLOUR);
    const doc = msgs(FLOUR).find((m) => m.kind === 'document');
    const card = page.getByRole('button', { name: /invoice-4521\.pdf/ });
    assert.match(await card.textContent(), /invoice-4521\.pdf778 B · PDF/);
    await card.focus();
    await page.keyboard.press('Enter');
    assert.deepEqual((await calls(page, 'open_media')).at(-1).args, { id: doc.media.id }, 'a document opens with the system app, by keyboard too');
  });

  test('video plays; a failed download says why and retries', async () => {
    const page = await app();
    await openChat(page, JURGEN);
    const video = msgs(JURGEN).find((m) => m.kind === 'video');
    await page.waitForFunction((id) => document.querySelector(`[data-message-id="${id}"] video`)?.readyState >= 1, video.id);
    assert.equal(await page.locator(`[data-message-id="${video.id}"] video`).getAttribute('controls'), '');
    const failed = msgs(JURGEN).find((m) => m.media?.state === 'failed');
    const row = page.locator(`[data-message-id="${failed.id}"]`);
    assert.match(await row.textContent(), /Download failed: Meta answered 404/);
    await row.getByRole('button', { name: 'Retry download' }).click();
    await row.getByText('Downloading…').waitFor();
    assert.deepEqual((await calls(page, 'retry_media')).map((c) => c.args), [{ id: failed.media.id }]);
  });

  test('locations and shared contact cards are rendered', async () => {
    const page = await app();
    await openChat(page, NAMELESS);
    const loc = msgs(NAMELESS).find((m) => m.kind === 'location');
    assert.match(await page.locator('.location-card').textContent(), /Broadway Market.*London E8 4QL \(51\.5413, -0\.0553\)/);
    assert.ok(loc.location.latitude === 51.5413);
    assert.match(await page.locator('.contact-card').textContent(), /Sam Okafor\+44 7911 123488/);
  });
});

describe('edits, deletions and retries', () => {
  test('edited and deleted messages say so', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const edited = msgs(PRIYA).find((m) => m.edited_at !== null);
    const deleted = msgs(PRIYA).find((m) => m.deleted_at !== null);
    assert.match(await page.locator(`[data-message-id="${edited.id}"] .meta`).textContent(), /^edited/);
    assert.equal(await page.locator(`[data-message-id="${edited.id}"] .text`).textContent(), "That one is easy. We'll match the colours.");
    assert.equal(await page.locator(`[data-message-id="${deleted.id}"] .bubble`).innerText().then((t) => t.split('\n')[0].trim()), 'This message was deleted');
    assert.ok(!(await page.locator(`[data-message-id="${deleted.id}"]`).textContent()).includes('vanilla'), 'the deleted text is not shown');
  });

  for (const scheme of ['light', 'dark']) {
    test(`edited, deleted and undeliverable messages in the ${scheme} theme`, async () => {
      const page = await app({}, { colorScheme: scheme });
      await openChat(page, PRIYA);
      const edited = msgs(PRIYA).find((m) => m.edited_at !== null);
      const deleted = msgs(PRIYA).find((m) => m.deleted_at !== null);
      assert.equal(deleted.text, null, 'the recorded deletion kept no text');
      const gone = page.locator(`[data-message-id="${deleted.id}"] .text.deleted`);
      assert.equal((await gone.textContent()).trim(), 'This message was deleted');
      const style = await gone.evaluate((el) => ({ italic: getComputedStyle(el).fontStyle, color: getComputedStyle(el).color, ink: getComputedStyle(document.body).color }));
      assert.equal(style.italic, 'italic', 'a deletion is in italics');
      assert.notEqual(style.color, style.ink, 'and muted');
      assert.equal(await page.locator(`[data-message-id="${edited.id}"] .edited`).textContent(), 'edited');
      await page.locator(`[data-message-id="${deleted.id}"]`).scrollIntoViewIfNeeded();
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;
      await page.locator(`[data-message-id="${edited.id}"]`).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await page.locator('.messages').screenshot({ path: shot('chat-edited-deleted') });

      await openChat(page, JURGEN);
      const undelivered = msgs(JURGEN).find((m) => m.kind === 'unsupported' && m.error);
      assert.ok(undelivered, 'the recorded fixtures hold a message Meta could not deliver');
      const row = page.locator(`[data-message-id="${undelivered.id}"]`);
      assert.equal((await row.locator('.undelivered .text').textContent()).trim(), 'Message type unknown: open it on your phone.');
      assert.equal(await row.locator('.undelivered-details').textContent(), 'Message type is currently not supported.');
      assert.equal(await row.locator('p.text').count(), 1, 'one line for the reason, never the stored placeholder as well');
      await row.scrollIntoViewIfNeeded();
      await row.screenshot({ path: shot('chat-undelivered') });
    });
  }

  test('a send that may have gone out says so and is sent again only on purpose', async () => {
    const failed = msgs(PATEL).find((m) => m.status === 'failed');
    const page = await app({ unknownSend: failed.id });
    await page.getByRole('button', { name: /^Market stall/ }).click();
    await openChat(page, PATEL);
    const row = page.locator(`[data-message-id="${failed.id}"]`);
    assert.equal(await row.locator('.ticks').getAttribute('data-status'), 'unknown');
    assert.match(await row.locator('.unknown-note').textContent(), /May have been sent: check the chat on the phone before sending it again/);
    assert.equal(await row.getByRole('button', { name: 'Retry' }).count(), 0, 'no plain Retry: sending again is a choice');
    if (process.env.WICKET_SCREENSHOTS) await row.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/chat-unknown-send.png` });
    assert.deepEqual(await calls(page, 'retry_message'), [], 'nothing is resent by itself');
    await row.getByRole('button', { name: 'Send again' }).click();
    await row.locator('.ticks[data-status="pending"]').waitFor();
    assert.equal(await row.locator('.unknown-note').count(), 0, 'queued again: the note is gone');
    assert.deepEqual((await calls(page, 'retry_message')).map((c) => c.args), [{ id: failed.id }]);
  });

  test('a failed send retries; a refused retry says why', async () => {
    const page = await app();
    await page.getByRole('button', { name: /^Market stall/ }).click();
    await openChat(page, PATEL);
    const failed = msgs(PATEL).find((m) => m.status === 'failed');
    const row = page.locator(`[data-message-id="${failed.id}"]`);
    assert.match(await row.locator('.failed-note').textContent(), /Not sent: the phone is offline/);
    await row.getByRole('button', { name: 'Retry' }).click();
    await row.locator('.ticks[data-status="pending"]').waitFor();
    assert.equal(await row.locator('.failed-note').count(), 0, 'queued again: the reason is gone');
    assert.deepEqual((await calls(page, 'retry_message')).map((c) => c.args), [{ id: failed.id }]);

    await page.getByRole('button', { name: 'All', exact: true }).click();
    await openChat(page, FLOUR);
    await page.locator('.failed-note').getByRole('button', { name: 'Retry' }).click();
    await page.locator('.chat-error').waitFor();
    assert.equal(await page.locator('.chat-error span').textContent(), fixtures.retry_message_outside_window.message);
  });
});

describe('composer tools', () => {
  test('the emoji picker works from the keyboard and inserts at the cursor', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    const box = page.getByRole('textbox', { name: 'Message' });
    await box.fill('See you ');
    await page.getByRole('button', { name: 'Emoji' }).click();
    const dialog = page.getByRole('dialog', { name: 'Emoji' });
    await dialog.waitFor();
    await page.keyboard.type('cake');
    assert.deepEqual(await dialog.locator('.emoji').evaluateAll((els) => els.map((e) => e.textContent)), ['🎂', '🍰', '🧁'], 'by name: cake, cake slice, cupcake');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'cake slice');
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await box.inputValue(), 'See you 🍰');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Message'); // focus goes back to the text
    await page.getByRole('button', { name: 'Emoji' }).click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Find an emoji');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.equal(await box.inputValue(), 'See you 🍰', 'Escape closes without inserting');
    assert.equal(await page.evaluate(() => document.querySelectorAll('.emoji-picker img, .emoji-picker [src]').length), 0, 'no remote or image assets');
  });

  test('files attach from the picker with a caption and are sent as bytes', async () => {
    const page = await app();
    await page.getByRole('button', { name: /^Market stall/ }).click();
    await openChat(page, PATEL);
    const bytes = Buffer.from('%PDF-1.4 price list');
    await page.locator('.composer input[type=file]').setInputFiles({ name: 'prices.pdf', mimeType: 'application/pdf', buffer: bytes });
    assert.match(await page.locator('.attachment').textContent(), /prices\.pdf19 B/);
    const caption = page.getByRole('textbox', { name: 'Caption' });
    await caption.fill('This week’s prices');
    await page.keyboard.press('Enter');
    await page.locator('.attachment').waitFor({ state: 'detached' });
    const sent = (await calls(page, 'send_media')).map((c) => c.args);
    assert.deepEqual(sent, [{ conversation_id: PATEL.id, file_name: 'prices.pdf', mime: 'application/pdf', caption: 'This week’s prices', bytes: [...bytes] }]);
    await page.locator('.bubble-row.out .text', { hasText: 'This week’s prices' }).waitFor();
  });

  test('files dropped on the chat are attached', async () => {
    const page = await app();
    await page.getByRole('button', { name: /^Market stall/ }).click();
    await openChat(page, PATEL);
    const drop = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array([1, 2, 3])], 'photo.jpg', { type: 'image/jpeg' }));
      return dt;
    });
    await page.locator('.chat').dispatchEvent('dragenter', { dataTransfer: drop });
    await page.locator('.drop-hint').waitFor();
    await page.locator('.messages').dispatchEvent('drop', { dataTransfer: drop });
    await page.locator('.drop-hint').waitFor({ state: 'detached' });
    assert.match(await page.locator('.attachment').textContent(), /photo\.jpg3 B/);
    await page.getByRole('button', { name: 'Remove photo.jpg' }).click();
    assert.equal(await page.locator('.attachment').count(), 0);
  });

  test('a closed window offers the approved templates with fields and a preview', async () => {
    const page = await app();
    await openChat(page, FLOUR);
    const group = page.getByRole('group', { name: 'Approved templates' });
    await group.waitFor();
    assert.deepEqual(await group.getByRole('radio').allTextContents(), ['follow upen_GB · marketing', 'order readyen_GB · utility', 'parcel photoen_GB · utility'], 'approved ones only');
    await group.getByRole('radio', { name: /order ready/ }).click();
    const send = page.getByRole('button', { name: 'Send template' });
    assert.ok(await send.isDisabled(), 'every parameter is needed first');
    assert.equal(await page.locator('.tp-body').textContent(), 'Hello {{1}}, your order is ready for pickup from {{2}}. See you soon!');
    await page.getByLabel('Header {{1}}').fill('#4521');
    await page.getByLabel('Body {{1}}').fill('Sam');
    await page.getByLabel('Body {{2}}').fill('7:00 on Thursday');
    assert.equal(await page.locator('.tp-header').textContent(), 'Order #4521 is ready');
    assert.equal(await page.locator('.tp-body').textContent(), 'Hello Sam, your order is ready for pickup from 7:00 on Thursday. See you soon!');
    assert.equal(await page.locator('.tp-footer').textContent(), 'Corner Bakery');
    await send.click();
    await page.locator('.bubble-row.out .text', { hasText: '[template order_ready]' }).last().waitFor();
    assert.deepEqual((await calls(page, 'send_template')).map((c) => c.args), [
      {
        conversation_id: FLOUR.id,
        name: 'order_ready',
        language: 'en_GB',
        header_params: [{ name: undefined, value: '#4521' }],
        body_params: [{ name: undefined, value: 'Sam' }, { name: undefined, value: '7:00 on Thursday' }],
        button_params: [],
      },
    ]);
    // Named templates send each value with its name.
    await group.getByRole('radio', { name: /follow up/ }).click();
    await page.getByLabel('Body first name').fill('Sam');
    await page.getByLabel('Body topic').fill('rye flour');
    assert.match(await page.locator('.tp-body').textContent(), /Hi Sam! We still have your question about rye flour/);
    assert.equal(await page.locator('.tp-buttons').textContent(), 'Yes please');

    // An image header is filled with an https:// link to the picture.
    await group.getByRole('radio', { name: /parcel photo/ }).click();
    await page.getByLabel('Body {{1}}').fill('4521');
    const link = page.getByLabel('Header image (https:// link)');
    await link.fill('/home/me/parcel.jpg');
    assert.ok(await send.isDisabled(), 'a local path is not a link');
    await link.fill('https://cdn.example.com/parcel-4521.jpg');
    assert.equal(await page.locator('.tp-header').textContent(), '[image]');
    await send.click();
    await page.waitForFunction(() => window.__calls.filter((c) => c.cmd === 'send_template').length === 2);
    const last = (await calls(page, 'send_template'))[1].args;
    assert.deepEqual([last.name, last.header_params, last.body_params], ['parcel_photo', [{ value: 'https://cdn.example.com/parcel-4521.jpg' }], [{ name: undefined, value: '4521' }]]);
  });

  test('drafts come back after the app is reopened', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    await page.getByRole('textbox', { name: 'Message' }).fill('Half-typed before a restart');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'save_draft' && c.args.text === 'Half-typed before a restart'));
    await page.reload();
    await page.locator('.conv').first().waitFor();
    assert.match(await page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .conv-preview`).textContent(), /Draft: Half-typed before a restart/);
    await openChat(page, PRIYA);
    assert.equal(await page.getByRole('textbox', { name: 'Message' }).inputValue(), 'Half-typed before a restart');
  });
});

describe('contact panel, labels and accounts', () => {
  test('the contact panel shows who the customer is, beside the chat or over it', async () => {
    const page = await app();
    await openChat(page, PRIYA);
    await page.getByRole('button', { name: 'Contact info' }).click();
    const panel = page.getByRole('complementary', { name: 'About Priya Shah' });
    await panel.waitFor();
    const text = await panel.textContent();
    for (const part of [PRIYA.phone, 'Baking is love made edible 🧁', "Maya's Party Planning", 'order', 'Regular', 'Corner Bakery']) {
      assert.ok(text.includes(part), `the panel shows ${part}: ${text}`);
    }
    await page.waitForFunction(() => document.querySelector('.contact-panel img.avatar')?.naturalWidth > 0);
    const box = await panel.boundingBox();
    assert.equal(Math.round(box.width), 300);
    assert.equal(await panel.evaluate((el) => getComputedStyle(el).position), 'static', 'wide window: beside the chat');
    await page.setViewportSize({ width: 1000, height: 800 });
    assert.equal(await panel.evaluate((el) => getComputedStyle(el).position), 'absolute', 'narrow window: over the chat');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });

    await openChat(page, FLOUR);
    await page.getByRole('button', { name: 'Contact info' }).click();
    assert.match(await page.locator('.contact-panel').textContent(), /Verified business.*Flour & Co Ltd/);
  });

  test('label dots in the list and the rail filters by label', async () => {
    const page = await app();
    assert.equal(await page.locator(`.conv[data-conversation-id="${PRIYA.id}"] .conv-labels`).getAttribute('aria-label'), 'Labels: order');
    const labels = page.getByRole('group', { name: 'Labels' });
    assert.deepEqual(await labels.getByRole('button').allTextContents(), fixtures.list_labels);
    await labels.getByRole('button', { name: 'supplier' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.conv').length === 1);
    assert.equal(await page.locator('.conv-name').textContent(), 'Flour & Co Supplies');
    assert.equal((await calls(page, 'list_conversations')).at(-1).args.label, 'supplier');
    await labels.getByRole('button', { name: 'supplier' }).click();
    await page.waitForFunction((n) => document.querySelectorAll('.conv').length === n, all.length);
  });

  test('the rail says since when an account is down and when it last synced', async () => {
    const page = await app();
    const [shop, stall] = fixtures.list_accounts;
    assert.equal(await page.getByRole('button', { name: /^Corner Bakery/ }).getAttribute('title'), 'Corner Bakery: connected · last sync today 11:00: 7 of 7 contacts updated');
    assert.match(await page.getByRole('button', { name: /^Market stall/ }).getAttribute('title'), /^Market stall: disconnected since today 10:00 \(the phone has been offline/);
    assert.match(await page.locator('.account-banner').textContent(), /Market stall is disconnected since today 10:00: the phone/);
    assert.ok(shop.last_sync_at && stall.status_since);
  });
});

describe('groups, notices, orders, ads and the owner\'s phone', () => {
  // Recorded from the sample, which replays the Meta webhook fixtures.
  const GROUP = byName('Pickup crew Camden');
  const RAMAN = byName('Priya Raman');
  const NORA = byName('Nora Lindqvist');
  const SAM = byName('Sam Patel');
  for (const scheme of ['light', 'dark']) {
    test(`each kind in the ${scheme} theme`, async () => {
      assert.ok(GROUP && RAMAN && NORA && SAM, 'the recorded fixtures hold the replayed webhooks');
      assert.equal(GROUP.is_group, true);
      const page = await app({}, { colorScheme: scheme, width: 1200, height: 900 });
      const shot = (name) => `${process.env.WICKET_UI_SHOTS ?? '/tmp'}/${name}-${scheme}.png`;

      // A group: its name, each sender above their bubble, its events as centred lines.
      await openChat(page, GROUP);
      const senders = await page.locator('.bubble .sender').allTextContents();
      assert.deepEqual(senders, ['Tom Baker', 'Ada Okafor'], 'each sender named above their bubble');
      const notices = await page.locator('.notice-row span').allTextContents();
      assert.equal(notices.length, 4, notices.join(' | '));
      assert.match(notices[0], /^Group “Pickup crew” created · /);
      assert.match(notices[3], /^Subject changed to “Pickup crew Camden”/);
      const line = await page.locator('.notice-row').first().evaluate((el) => ({ justify: getComputedStyle(el).justifyContent, bubble: el.querySelector('.bubble') !== null }));
      assert.deepEqual(line, { justify: 'center', bubble: false }, 'a notice is a centred line, not a bubble');
      await page.locator('.messages').screenshot({ path: shot('chat-group') });

      // The owner's phone and an order card.
      await openChat(page, RAMAN);
      const fromPhone = msgs(RAMAN).filter((m) => m.origin === 'phone');
      assert.equal(fromPhone.length, 2);
      for (const m of fromPhone) {
        const row = page.locator(`[data-message-id="${m.id}"]`);
        assert.equal(await row.getAttribute('class'), 'bubble-row out', 'sent from the phone: an outgoing bubble');
        assert.equal(await row.getByRole('img', { name: 'Sent from your phone' }).count(), 1, 'with the phone icon');
      }
      assert.equal(await page.locator('.from-phone').count(), fromPhone.length, 'only messages from the phone carry it');
      const order = msgs(RAMAN).find((m) => m.kind === 'order');
      const card = page.locator(`[data-message-id="${order.id}"] .order-card`);
      assert.equal(await card.locator('.order-total').textContent(), 'GBP 28.48');
      assert.equal(await card.locator('.order-items li').count(), 2);
      assert.deepEqual(await card.locator('.order-items li').first().locator('span').allTextContents(), ['2 ×', 'SKU-CHOC-42', 'GBP 7.99']);
      assert.equal(await card.locator('.order-note').textContent(), 'Two please, and one lemon tart');
      assert.equal(await page.locator(`[data-message-id="${order.id}"] p.text`).count(), 0, 'the summary is for the list, the card shows the order');
      assert.match(await page.locator(`.conv[data-conversation-id="${RAMAN.id}"]`).textContent(), /Order: 2 × SKU-CHOC-42/, 'the list shows the summary');
      await page.locator(`[data-message-id="${order.id}"]`).scrollIntoViewIfNeeded();
      await page.locator('.messages').screenshot({ path: shot('chat-order-phone') });

      // The ad a customer came from.
      await openChat(page, NORA);
      const chip = page.locator('.ad-chip');
      assert.equal((await chip.textContent()).trim(), 'came from an ad: Summer cakes, 20% off');
      assert.equal(await chip.getAttribute('title'), 'https://fb.me/3cr4Wqqkv');
      await page.locator('.bubble').first().screenshot({ path: shot('chat-ad') });

      // A number change: one conversation, the change as a centred line between the two numbers' messages.
      await openChat(page, SAM);
      const rows = await page.locator('.bubble-row .text, .notice-row span').allTextContents();
      assert.equal(rows.length, 3);
      assert.match(rows[1], /^User Sam Patel changed from 447700900321 to 447700900654/);
      await page.locator('.messages').screenshot({ path: shot('chat-number-change') });
    });
  }
});

// The README's screenshots, when asked for: WICKET_SCREENSHOTS=docs/screenshots.
const shots = process.env.WICKET_SCREENSHOTS;
describe('screenshots', { skip: !shots }, () => {
  for (const scheme of ['light', 'dark']) {
    test(`chat with media, template picker and contact panel (${scheme})`, async () => {
      await mkdir(shots, { recursive: true });
      const page = await app({}, { colorScheme: scheme, width: 1400, height: 860 });
      await openChat(page, PRIYA);
      await page.waitForFunction(() => [...document.querySelectorAll('.media-box img')].every((i) => i.naturalWidth > 0));
      await page.getByRole('button', { name: 'Contact info' }).click();
      await page.waitForFunction(() => document.querySelector('.contact-panel img.avatar')?.naturalWidth > 0);
      // The whole picture in view, the newest messages below it.
      await page.locator('.messages').evaluate((el) => (el.scrollTop = el.scrollHeight - el.clientHeight - 260));
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${shots}/chat-media-${scheme}.png` });
      await openChat(page, FLOUR);
      await page.getByRole('radio', { name: /order ready/ }).click();
      await page.getByLabel('Header {{1}}').fill('#4521');
      await page.getByLabel('Body {{1}}').fill('Sam');
      await page.getByLabel('Body {{2}}').fill('7:00 on Thursday');
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${shots}/templates-${scheme}.png` });
    });
  }
});
