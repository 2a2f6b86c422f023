// Accessibility: axe-core (WCAG 2.1 A and AA rules, colour contrast included)
// on every main screen in both themes, in headless Chromium against the
// built UI. A serious or critical violation fails the test with what and where.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { browserSuite, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const axePath = createRequire(new URL('../../ui/package.json', import.meta.url)).resolve('axe-core/axe.min.js');
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');

async function violations(page) {
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1, 2).join('')}`) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const screens = {
  inbox: async () => {},
  chat: async (page) => openChat(page, PRIYA),
  'contact panel': async (page) => {
    await openChat(page, PRIYA);
    await page.getByRole('button', { name: 'Contact info' }).click();
    await page.locator('.contact-panel, [aria-label="Contact"]').first().waitFor();
  },
  settings: async (page) => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click();
    await page.getByRole('dialog', { name: 'Settings' }).locator('.acct-row').first().waitFor();
  },
  statistics: async (page) => {
    await page.getByRole('button', { name: 'Statistics' }).click();
    await page.locator('.stat-tile').first().waitFor();
  },
  'search results': async (page) => {
    await page.locator('.search input').fill('sourdough');
    await page.locator('.hit').first().waitFor();
  },
  palette: async (page) => {
    await page.keyboard.press('Control+k');
    await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
  },
};

describe('accessibility (axe-core)', () => {
  for (const colorScheme of ['light', 'dark']) {
    for (const [name, open] of Object.entries(screens)) {
      test(`${name} (${colorScheme}): no serious or critical violation`, async () => {
        const page = await app({}, { colorScheme });
        await page.locator('.conv').first().waitFor();
        await open(page);
        const found = await violations(page);
        assert.deepEqual(found, [], JSON.stringify(found, null, 1));
      });
    }
  }
});
