// One contact across identities in the contact panel, in headless Chromium
// against the built UI, with the answers recorded from the real handlers on
// the sample inbox (tests/ui/fixtures/merge.json): the suggestion says why
// and merges after a confirmation naming both, the banner's Undo undoes that
// merge, "Not the same" dismisses it, and "Merge with…" picks any contact of
// the account. Both themes, screenshots on request.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { browserSuite, calls, fixtures, mergeFixtures as mg, openChat } from './harness.mjs';

const app = browserSuite();
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');
const TWIN = mg.contact_suggestions[0];

async function openPanel(page) {
  await openChat(page, PRIYA);
  await page.getByRole('button', { name: 'Contact info' }).click();
  return page.locator('.contact-panel');
}

describe('merging contacts from the contact panel', () => {
  for (const colorScheme of ['light', 'dark']) {
    test(`a suggestion with why, a confirmation naming both, then Undo (${colorScheme})`, async () => {
      const page = await app({}, { colorScheme });
      const panel = await openPanel(page);
      const hint = panel.getByRole('group', { name: 'Possible duplicate contact' });
      await hint.waitFor();
      assert.match(await hint.textContent(), new RegExp(`Looks like the same person as ${TWIN.other_name}: the same number written differently`));
      if (process.env.WICKET_SCREENSHOTS) {
        await hint.scrollIntoViewIfNeeded();
        await panel.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/merge-suggestion-${colorScheme}.png` });
      }
      await hint.getByRole('button', { name: 'Merge' }).click();
      const confirm = panel.getByRole('alertdialog', { name: `Merge ${TWIN.other_name} into ${PRIYA.display_name}?` });
      assert.match(await confirm.textContent(), new RegExp(`${PRIYA.display_name} is kept: the messages, notes, labels`));
      assert.match(await confirm.textContent(), /You can undo this until the next merge/);
      if (process.env.WICKET_SCREENSHOTS) {
        await confirm.scrollIntoViewIfNeeded();
        await panel.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/merge-confirm-${colorScheme}.png` });
      }
      assert.equal((await calls(page, 'contact_merge')).length, 0, 'nothing is merged before the confirmation');
      await confirm.getByRole('button', { name: `Merge into ${PRIYA.display_name}` }).click();
      const banner = panel.locator('.merge-banner');
      await banner.waitFor();
      assert.match(await banner.textContent(), new RegExp(`Merged ${TWIN.other_name} into ${PRIYA.display_name}: ${mg.contact_merge.messages_moved} messages?`));
      assert.deepEqual((await calls(page, 'contact_merge'))[0].args, { keep_id: PRIYA.contact_id, other_id: TWIN.other_id });
      assert.equal(await hint.count(), 0, 'the suggestion is gone once merged');
      if (process.env.WICKET_SCREENSHOTS) await panel.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/merge-undo-${colorScheme}.png` });

      await banner.getByRole('button', { name: 'Undo' }).click();
      await panel.getByRole('status').filter({ hasText: `Merge undone: ${TWIN.other_name} is a contact of their own again.` }).waitFor();
      assert.deepEqual((await calls(page, 'contact_merge_undo'))[0].args, { merge_id: mg.contact_merge.merge_id });
    });
  }

  test('Undo stays on offer after the panel is closed, until it is used', async () => {
    const page = await app();
    let panel = await openPanel(page);
    await panel.getByRole('group', { name: 'Possible duplicate contact' }).getByRole('button', { name: 'Merge' }).click();
    await panel.getByRole('button', { name: `Merge into ${PRIYA.display_name}` }).click();
    await panel.locator('.merge-banner').waitFor();
    await page.getByRole('button', { name: 'Contact info' }).click();
    await panel.waitFor({ state: 'detached' });
    panel = await openPanel(page);
    const banner = panel.locator('.merge-banner');
    await banner.filter({ hasText: `${TWIN.other_name} was merged into ${PRIYA.display_name}. You can undo it until the next merge.` }).waitFor();
    assert.deepEqual((await calls(page, 'contact_merge_undo_offer')).at(-1).args, { contact_id: PRIYA.contact_id });
    if (process.env.WICKET_SCREENSHOTS) await panel.screenshot({ path: `${process.env.WICKET_SCREENSHOTS}/merge-undo-later-light.png` });
    await banner.getByRole('button', { name: 'Undo' }).click();
    await panel.getByRole('status').filter({ hasText: `Merge undone: ${TWIN.other_name} is a contact of their own again.` }).waitFor();
    assert.deepEqual((await calls(page, 'contact_merge_undo'))[0].args, { merge_id: mg.contact_merge.merge_id });
    assert.equal(await banner.count(), 0, 'nothing more to undo');
  });

  test('"Not the same" dismisses the suggestion', async () => {
    const page = await app();
    const panel = await openPanel(page);
    const hint = panel.getByRole('group', { name: 'Possible duplicate contact' });
    await hint.getByRole('button', { name: 'Not the same' }).click();
    await hint.waitFor({ state: 'detached' });
    assert.deepEqual((await calls(page, 'contact_suggestion_dismiss'))[0].args, { contact_id: PRIYA.contact_id, other_id: TWIN.other_id });
    assert.equal((await calls(page, 'contact_merge')).length, 0);
  });

  test('"Merge with…" picks any person of the account, cancel merges nothing', async () => {
    const page = await app({ noSuggestions: true });
    const panel = await openPanel(page);
    await panel.getByRole('button', { name: 'Merge with…' }).click();
    const picker = panel.getByRole('group', { name: 'Merge with another contact' });
    const pick = mg.contact_merge_candidates.find((k) => k.display_name === 'Jürgen Müller');
    await picker.getByRole('button', { name: new RegExp(pick.display_name) }).waitFor();
    assert.equal(await picker.locator('.merge-pick').count(), mg.contact_merge_candidates.length, 'every other person of the account');
    await picker.getByLabel(`Find the contact to merge into ${PRIYA.display_name}`).fill('jür');
    assert.equal(await picker.locator('.merge-pick').count(), 1, 'the filter narrows the list');
    await picker.getByRole('button', { name: new RegExp(pick.display_name) }).click();
    const confirm = panel.getByRole('alertdialog', { name: `Merge ${pick.display_name} into ${PRIYA.display_name}?` });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await calls(page, 'contact_merge')).length, 0, 'cancel merges nothing');
    // Back to the list, to pick again.
    await picker.getByRole('button', { name: new RegExp(pick.display_name) }).click();
    await confirm.getByRole('button', { name: `Merge into ${PRIYA.display_name}` }).click();
    await panel.locator('.merge-banner').filter({ hasText: `Merged ${pick.display_name} into ${PRIYA.display_name}` }).waitFor();
    assert.deepEqual((await calls(page, 'contact_merge'))[0].args, { keep_id: PRIYA.contact_id, other_id: pick.contact_id });
  });
});
