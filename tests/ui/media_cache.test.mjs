// Settings → Storage and the chat's removed files in headless Chromium
// against the built UI, with the answers recorded from the real handlers
// (tests/ui/fixtures/media_cache.json): the space used, a lower media limit
// and what it removed, a refused limit, "Free up space now"; in the chat a
// removed picture with "Download again" and one WhatsApp no longer has.
// Both themes, screenshots on request.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, mediaCacheFixtures as mc, openChat } from './harness.mjs';

const app = browserSuite();

/** The recorded chats after the limit was lowered: the one with a file that can come back, and the one with a file that cannot. */
function evictedChats() {
  let back = null;
  let gone = null;
  for (const [id, page] of Object.entries(mc.list_messages)) {
    for (const m of page) {
      if (m.media?.state !== 'evicted') continue;
      const c = fixtures.list_conversations.all.find((x) => x.id === Number(id));
      if (m.media.error) gone ??= { c, m };
      else back ??= { c, m };
    }
  }
  return { back, gone };
}

async function openStorage(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  const section = dialog.getByRole('region', { name: 'Storage' });
  await section.getByRole('button', { name: 'Free up space now' }).waitFor();
  return section;
}

const mb = (bytes) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
const size = (bytes) => (bytes < 1024 * 1024 ? kb(bytes) : mb(bytes));

describe('Settings → Storage', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`the space used, a lower limit and what it removed (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const section = await openStorage(page);
      const u = mc.media_usage;
      assert.match(await section.textContent(), new RegExp(`Media${size(u.media_bytes)} in ${u.media_files} files`));
      assert.match(await section.textContent(), new RegExp(`Space used${size(u.media_bytes + u.database_bytes).replace('.', '\\.')}`));
      const limit = section.getByLabel('Media limit (MB)');
      assert.equal(await limit.inputValue(), '2048', 'the default limit');

      await limit.fill('1');
      await limit.press('Enter');
      await limit.blur();
      const note = section.getByRole('status');
      await note.filter({ hasText: 'Removed' }).waitFor();
      assert.deepEqual((await calls(page, 'set_media_limit')).map((c) => c.args), [{ limit_mb: 1 }]);
      assert.equal(await note.textContent(), `Removed ${mc.set_media_limit.removed_files} files (${size(mc.set_media_limit.freed_bytes)} freed).`);
      const after = mc.set_media_limit.usage;
      assert.match(await section.textContent(), new RegExp(`${size(after.media_bytes).replace('.', '\\.')} in ${after.media_files} files`));
      const meter = section.getByRole('meter', { name: 'Media against the limit' });
      assert.equal(await meter.getAttribute('aria-valuenow'), String(Math.min(100, Math.round((after.media_bytes / (1024 * 1024)) * 100))));
      if (process.env.WICKET_SCREENSHOTS) await section.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/storage-${colorScheme}.png` });

      await section.getByRole('button', { name: 'Free up space now' }).click();
      await note.filter({ hasText: 'Nothing to remove' }).waitFor();
      assert.equal((await calls(page, 'media_prune')).length, 1);
    });
  }

  test('a limit below 0 is refused with why, and the field goes back', async () => {
    const page = await app();
    const section = await openStorage(page);
    const limit = section.getByLabel('Media limit (MB)');
    await limit.fill('-1');
    await limit.blur();
    await section.getByRole('alert').filter({ hasText: mc.set_media_limit_invalid.message }).waitFor();
    assert.deepEqual((await calls(page, 'set_media_limit')).map((c) => c.args), [{ limit_mb: -1 }], 'the shell decides');
    assert.equal(await limit.inputValue(), '2048');
    await limit.fill('1.5');
    await limit.blur();
    await section.getByRole('alert').filter({ hasText: 'whole number of megabytes' }).waitFor();
    assert.equal((await calls(page, 'set_media_limit')).length, 1, 'a fraction is refused before asking');
  });
});

describe('a removed file in the chat', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`Download again, and a file WhatsApp no longer has (${colorScheme})`, async () => {
      const { back, gone } = evictedChats();
      assert.ok(back && gone, 'the fixture has both kinds');
      const page = await app({ mediaEvicted: true }, { colorScheme });

      await openChat(page, back.c);
      const bubble = page.locator('.bubble').filter({ has: page.locator('.media-evicted') }).filter({ hasText: 'Download again' }).first();
      await bubble.scrollIntoViewIfNeeded();
      assert.match(await bubble.textContent(), /Removed to save space/);
      if (process.env.WICKET_SCREENSHOTS) await bubble.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/media-evicted-${colorScheme}.png` });
      const before = await page.locator('.media-evicted').count();
      await bubble.getByRole('button', { name: 'Download again' }).click();
      await page.waitForFunction((n) => document.querySelectorAll('.media-evicted').length === n - 1, before);
      const asked = (await calls(page, 'redownload_media')).map((c) => c.args.id);
      assert.equal(asked.length, 1);
      assert.ok(
        mc.list_messages[String(back.c.id)].some((m) => m.media?.id === asked[0] && m.media.state === 'evicted' && !m.media.error),
        'asked for a removed file that can come back',
      );

      await openChat(page, gone.c);
      const lost = page.locator('.media-evicted').filter({ hasText: 'No longer available from WhatsApp' }).first();
      await lost.scrollIntoViewIfNeeded();
      assert.equal(await lost.getByRole('button', { name: 'Download again' }).count(), 0, 'nothing to ask for');
      assert.equal(await lost.locator('.media-gone').getAttribute('title'), gone.m.media.error, 'the reason on hover');
      const lostBubble = page.locator('.bubble').filter({ has: page.locator('.media-gone') }).first();
      if (process.env.WICKET_SCREENSHOTS) await lostBubble.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/media-gone-${colorScheme}.png` });
    });
  }
});
