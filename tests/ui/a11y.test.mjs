// Accessibility: axe-core (WCAG 2.1 A and AA rules, colour contrast included)
// on every main screen in both themes, in headless Chromium against the
// built UI. A serious or critical violation fails the test with what and where.
// Run: (cd ui && npm run build && npm test)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { browserSuite, fixtures, openChat } from './harness.mjs';

const app = browserSuite();
const axePath = createRequire(new URL('../../ui/package.json', import.meta.url)).resolve('axe-core/axe.min.js');
// Evaluated through the DevTools protocol: the app's CSP (script-src 'self') rightly refuses an injected <script>.
const axeSource = readFileSync(axePath, 'utf8');
const PRIYA = fixtures.list_conversations.all.find((c) => c.display_name === 'Priya Shah');

async function violations(page) {
  // Colours are judged at rest: a panel sliding in (opacity) would blend them (seen once: the notes' title mid-fade).
  await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished)));
  await page.evaluate(axeSource);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')}: ${n.failureSummary.split('\n').slice(1, 2).join('')}`) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

const FLOUR = fixtures.list_conversations.all.find((c) => c.display_name === 'Flour & Co Supplies');

async function fillMeta(page) {
  await page.getByRole('button', { name: /WhatsApp Cloud API/ }).click();
  await page.getByLabel('Phone number ID').fill('123456789012345');
  await page.getByLabel('WhatsApp Business account ID').fill('987654321098765');
  await page.getByLabel('Access token').fill('EAAG-typed-token');
  await page.getByLabel('App secret').fill('typed-app-secret');
}

// Each main screen: how to reach it, and (for the wizard) a first launch without accounts.
const screens = {
  inbox: async () => {},
  'chat with media': async (page) => {
    await openChat(page, PRIYA);
    await page.waitForFunction(() => [...document.querySelectorAll('.media-box img')].every((i) => i.naturalWidth > 0));
  },
  'contact panel': async (page) => {
    await openChat(page, PRIYA);
    await page.getByRole('button', { name: 'Contact info' }).click();
    await page.locator('.contact-panel, [aria-label="Contact"]').first().waitFor();
  },
  'template picker': async (page) => {
    await openChat(page, FLOUR);
    await page.getByRole('radio', { name: /order ready/ }).click();
    await page.getByLabel('Body {{1}}').fill('Sam');
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
  'shortcut sheet': async (page) => {
    await page.keyboard.press('Control+/');
    await page.getByRole('dialog', { name: /shortcuts/i }).waitFor();
  },
  'wizard: choose a provider': { wizard: true, open: async () => {} },
  'wizard: Meta form, tested': {
    wizard: true,
    open: async (page) => {
      await fillMeta(page);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    },
  },
  'wizard: all set': {
    wizard: true,
    open: async (page) => {
      await fillMeta(page);
      await page.getByRole('button', { name: 'Test connection' }).click();
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      await page.getByRole('button', { name: 'Save and continue' }).click();
      await page.getByRole('heading', { name: 'All set' }).waitFor();
    },
  },
  'wizard: UniPile accounts': {
    wizard: true,
    open: async (page) => {
      await page.getByRole('button', { name: /^UniPile/ }).click();
      await page.getByLabel('DSN').fill('api8.unipile.com:13851');
      await page.getByLabel('API key').fill('up-key');
      await page.getByRole('button', { name: 'List accounts' }).click();
      await page.getByRole('checkbox').first().waitFor();
    },
  },
};

describe('accessibility (axe-core)', () => {
  for (const colorScheme of ['light', 'dark']) {
    for (const [name, screen] of Object.entries(screens)) {
      test(`${name} (${colorScheme}): no serious or critical violation`, async () => {
        const wizard = typeof screen === 'object' && screen.wizard;
        const open = typeof screen === 'function' ? screen : screen.open;
        const page = wizard ? await app({ noAccounts: true }, { ready: '.wizard', colorScheme }) : await app({}, { colorScheme });
        if (!wizard) await page.locator('.conv').first().waitFor();
        await open(page);
        const found = await violations(page);
        assert.deepEqual(found, [], JSON.stringify(found, null, 1));
      });
    }
  }
});
