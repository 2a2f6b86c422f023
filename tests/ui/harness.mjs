// The browser tests' harness: serves the built UI (ui/dist) under the CSP of
// tauri.conf.json, with Tauri's own `mockIPC` installed by a module that runs
// before the app's module, answering from fixtures recorded from the real
// command handlers (tests/ui/fixtures/inbox.json, see src-tauri/app/tests.rs).
// Every invoke is recorded in `window.__calls` for the tests to read.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ui = join(root, 'ui');
const dist = join(ui, 'dist');
const require = createRequire(join(ui, 'package.json'));

export const fixtures = JSON.parse(await readFile(new URL('./fixtures/inbox.json', import.meta.url), 'utf8'));
/** The wizard's answers, recorded from the real handlers too (tests.rs). */
export const wizardFixtures = JSON.parse(await readFile(new URL('./fixtures/wizard.json', import.meta.url), 'utf8'));
/** The Settings panel's answers, recorded from the real handlers (tests.rs). */
export const settingsFixtures = JSON.parse(await readFile(new URL('./fixtures/settings.json', import.meta.url), 'utf8'));
/** The public address's answers (status, Stop, Restart), recorded from the real handlers (tests.rs). */
export const addressFixtures = JSON.parse(await readFile(new URL('./fixtures/public_address.json', import.meta.url), 'utf8'));
/** The vault passphrase dialog's answers, recorded from the real handlers (vault_tests.rs). */
export const vaultFixtures = JSON.parse(await readFile(new URL('./fixtures/vault.json', import.meta.url), 'utf8'));
/** "Send later" and the scheduled messages' answers, recorded from the real handlers (scheduled_tests.rs). */
export const scheduledFixtures = JSON.parse(await readFile(new URL('./fixtures/scheduled.json', import.meta.url), 'utf8'));
export const statsFixtures = JSON.parse(await readFile(new URL('./fixtures/stats.json', import.meta.url), 'utf8'));
export const limitsFixtures = JSON.parse(await readFile(new URL('./fixtures/limits.json', import.meta.url), 'utf8'));
export const actionsFixtures = JSON.parse(await readFile(new URL('./fixtures/actions.json', import.meta.url), 'utf8'));
/** The bulk screen's answers, recorded from the real handlers (src-tauri/app/bulk_tests.rs). */
export const bulkFixtures = JSON.parse(await readFile(new URL('./fixtures/bulk.json', import.meta.url), 'utf8'));
/** Quick replies' and notes' answers, recorded from the real handlers (src-tauri/app/craft_tests.rs). */
export const quickNotesFixtures = JSON.parse(await readFile(new URL('./fixtures/quick_replies_notes.json', import.meta.url), 'utf8'));
/** Snooze's and reminders' answers, recorded from the real handlers (src-tauri/app/snooze_tests.rs). */
export const snoozeFixtures = JSON.parse(await readFile(new URL('./fixtures/snooze.json', import.meta.url), 'utf8'));
export const backupFixtures = JSON.parse(await readFile(new URL('./fixtures/backups.json', import.meta.url), 'utf8'));
/** Settings → Webhooks, poll intervals, Export and import, recorded from the real handlers (src-tauri/app/owner_settings_tests.rs). */
export const ownerFixtures = JSON.parse(await readFile(new URL('./fixtures/owner_settings.json', import.meta.url), 'utf8'));
// Recorded by src-tauri/app/away_tests.rs.
export const awayFixtures = JSON.parse(await readFile(new URL('./fixtures/away.json', import.meta.url), 'utf8'));
// The app lock's answers (src-tauri/app/applock_tests.rs); APPLOCK_PASSPHRASE is the one the recording set.
export const applockFixtures = JSON.parse(await readFile(new URL('./fixtures/applock.json', import.meta.url), 'utf8'));
export const APPLOCK_PASSPHRASE = 'copper lantern';
// Merging contacts, recorded by src-tauri/app/contact_merge_tests.rs.
export const mergeFixtures = JSON.parse(await readFile(new URL('./fixtures/merge.json', import.meta.url), 'utf8'));
/** Settings → Storage and the chat's removed files, recorded from the real handlers (src-tauri/app/media_cache_tests.rs). */
export const mediaCacheFixtures = JSON.parse(await readFile(new URL('./fixtures/media_cache.json', import.meta.url), 'utf8'));
/** The passphrase those answers were recorded with (src-tauri/app/vault_tests.rs STRONG). */
export const VAULT_PASSPHRASE = 'copper lantern orbit meadow';
/** The fixtures' "now" (src-tauri/app/tests.rs SAMPLE_NOW): 2026-03-10 12:00 UTC. */
export const SAMPLE_NOW = 1_773_144_000_000;

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg', '.webp': 'image/webp', '.wav': 'audio/wav', '.webm': 'video/webm', '.pdf': 'application/pdf' };

/**
 * The files behind the fixtures' media ids: the sample's files
 * (tests/fixtures/media), as the shell's wicket-media: protocol serves them.
 */
function mediaFiles() {
  const byId = new Map();
  for (const page of Object.values(fixtures.list_messages)) {
    for (const m of page) if (m.media?.state === 'downloaded' && m.media.file_name) byId.set(String(m.media.id), m.media.file_name);
  }
  byId.set(String(fixtures.send_media.media.id), 'cake-design.jpg');
  return byId;
}
const mediaDir = join(root, 'tests', 'fixtures', 'media');

/** The CSP the window runs under (tauri.conf.json), minus Tauri's IPC origins. */
async function csp() {
  const conf = JSON.parse(await readFile(join(root, 'tauri.conf.json'), 'utf8'));
  return conf.app.security.csp;
}

/**
 * Runs in the page before the app: installs mockIPC over the fixtures. Its
 * behaviour can be tuned per test through `window.__WICKET_TEST__`
 * (set by an init script): `long` (a conversation of N messages) and
 * `sendError` (send_text refuses like Meta outside the window),
 * `noAccounts` (a first launch: no account until the wizard adds one),
 * `metaRefused` (wizard_test_meta answers like Meta for an expired token),
 * `syncDelay` (ms per first-sync step), `listDelay` (ms before the conversation list answers), `managed` (account settings switch
 * and remove the fixtures' accounts), `wasenderRefused`, `prefsRefused`
 * (set_preferences refuses as the shell refuses a time that is not HH:MM),
 * `address` (the public address's state at load: `unreachable`, `stopped`,
 * `reachable`; else none chosen yet; Restart answers reachable, Stop stopped),
 * `unknownSend` (the id of a fixture's failed send shown instead as a send
 * whose outcome is unknown, as the outbox leaves one whose answer never came),
 * `vault` (no keychain on this computer: `unlock`, the engine waits for the
 * passphrase of an existing vault; `create`, adding an account asks for a new
 * one; the recorded passphrase opens it, any other is refused as recorded),
 * `reminders` (the recorded pending reminders are there at load),
 * `applock` (the app lock: `on`, set and unlocked; `locked`, locked at load;
 * while locked every content command is refused with the recorded error).
 * `mediaEvicted` (the chats as recorded after a lower media limit removed files: media_cache.json).
 * Drafts are kept in localStorage, so a reload finds them as a restart finds
 * them in the store.
 */
function setupSource() {
  return `
import { mockIPC, mockWindows } from '/__test__/mocks.js';
// One window and webview labelled "main", as tauri.conf.json declares (getCurrentWebview needs it).
mockWindows('main');
const fx = ${JSON.stringify(fixtures)};
const wz = ${JSON.stringify(wizardFixtures)};
const st = ${JSON.stringify(settingsFixtures)};
const pa = ${JSON.stringify(addressFixtures)};
const vf = ${JSON.stringify(vaultFixtures)};
const sc = ${JSON.stringify(scheduledFixtures)};
const stf = ${JSON.stringify(statsFixtures)};
const lf = ${JSON.stringify(limitsFixtures)};
const af = ${JSON.stringify(actionsFixtures)};
let limits = lf.account_limits;
const bk = ${JSON.stringify(bulkFixtures)};
const qn = ${JSON.stringify(quickNotesFixtures)};
// Quick replies and notes as changed in this page (a shortcut is unique in any case, as the core keeps it).
let quickReplies = [...qn.list_quick_replies];
const notes = new Map(Object.entries(qn.list_notes).map(([k, v]) => [Number(k), [...v]]));
const allNotes = () => [...notes.values()].flat();
const sz = ${JSON.stringify(snoozeFixtures)};
// Snoozed chats (id: until, Unix ms) and pending reminders, as changed in this page.
const snoozed = new Map();
let reminderList = [];
const bu = ${JSON.stringify(backupFixtures)};
let backups = bu.backup_status_off;
const ow = ${JSON.stringify(ownerFixtures)};
let listener = ow.webhook_listener;
let polling = ow.account_polling;
const aw = ${JSON.stringify(awayFixtures)};
const al = ${JSON.stringify(applockFixtures)};
const APPLOCK_PASSPHRASE = ${JSON.stringify(APPLOCK_PASSPHRASE)};
const WHILE_LOCKED = ['app_info', 'lock_status', 'lock_now', 'unlock_app', 'vault_status', 'unlock_vault', 'passphrase_strength', 'get_preferences', 'set_focused_conversation'];
const mg = ${JSON.stringify(mergeFixtures)};
// Suggestions dismissed and the merge to undo, as done in this page.
let mergeDismissed = false;
let lastMerge = null;
const mc = ${JSON.stringify(mediaCacheFixtures)};
// The media use and limit as changed in this page.
let mediaUsage = mc.media_usage;
// Opening hours and automatic replies as saved in this page (opts.autoReplies: start from the recorded saved ones).
let autoReplies = null;
// The bulk job of this page: recorded progress, one step per poll; a label's job is the recorded cancelled one, still running.
let bulkPolls = 0;
let bulkJob = null;
// Scheduled messages per conversation, as scheduled and cancelled in this page.
const scheduled = new Map(Object.entries(sc.list_scheduled).map(([k, v]) => [Number(k), [...v]]));
const cancelled = new Set();
const VAULT_PASSPHRASE = ${JSON.stringify(VAULT_PASSPHRASE)};
let prefs = st.get_preferences;
const opts = window.__WICKET_TEST__ || {};
prefs = { ...prefs, ...(opts.prefs || {}) };
// The app lock as changed in this page; while locked only these commands answer (as the shell's store door).
let lock = opts.applock ? { ...al.unlock_app, locked: opts.applock === 'locked' } : al.lock_status_off;
if (opts.reminders) reminderList = [...sz.list_reminders];
let address = pa['status_' + (opts.address || 'unconfigured')];
window.__calls = [];
let nextId = 100000000;
let added = [];
// Account settings: the accounts as switched and removed in this page.
let managed = null;
let unipileWaits = 0;
let vaultOpen = false;
// Adding an account that keeps secrets, while no vault is open, is refused as the shell refuses it.
const vaultLocked = () => opts.vault && !vaultOpen;
const emit = (event, payload) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload });
const later = (ms, value) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

const drafts = () => JSON.parse(localStorage.getItem('wicket-test-drafts') || '{}');
const withDraft = (c) => (c && String(c.id) in drafts() ? { ...c, draft: drafts()[String(c.id)] } : c);

function conversations(args) {
  // The core's rule: a snoozed chat is in the Snoozed view only, with its time.
  if (args.filter === 'snoozed') return (fx.list_conversations.all || []).filter((c) => snoozed.has(c.id)).map((c) => ({ ...c, snoozed_until: snoozed.get(c.id) }));
  return unsnoozedOnly(args).filter((c) => !snoozed.has(c.id));
}

function unsnoozedOnly(args) {
  if (args.label) return (fx.list_conversations['label:' + args.label] || []).map(withDraft);
  if (args.account_id != null && fx.list_conversations['account:' + args.account_id]) return fx.list_conversations['account:' + args.account_id].map(withDraft);
  const list = fx.list_conversations[args.filter] || [];
  return (args.account_id != null ? list.filter((c) => c.account_id === args.account_id) : list).map(withDraft);
}

function findConversation(id) {
  for (const list of Object.values(fx.list_conversations)) {
    const c = list.find((c) => c.id === id);
    if (c) return c;
  }
  return null;
}

// A conversation of opts.long messages (ids 1..N), made from the fixture
// shapes of conversation 1, for the virtualization test.
function longPage(args) {
  const shapes = fx.list_messages['1'];
  const n = opts.long;
  let end = args.before != null ? args.before - 1 : n;
  let start = Math.max(1, end - args.limit + 1);
  if (args.after != null) [start, end] = [args.after + 1, Math.min(n, args.after + args.limit)];
  if (args.around != null) [start, end] = [Math.max(1, args.around - Math.floor(args.limit / 2)), Math.min(n, args.around + Math.floor(args.limit / 2))];
  const page = [];
  for (let id = start; id <= end; id++) {
    const s = shapes[id % shapes.length];
    page.push({ ...s, id, conversation_id: 1, kind: 'text', media: null, location: null, contacts: [], is_reply: false, reply_to: null,
      text: 'Message number ' + id, timestamp: ${SAMPLE_NOW} - (n - id) * 60000 });
  }
  return page;
}

mockIPC((cmd, args) => {
  window.__calls.push({ cmd, args: args && args.args !== undefined ? args.args : args });
  if (lock.locked && !cmd.startsWith('plugin:') && !WHILE_LOCKED.includes(cmd)) return Promise.reject(al.locked_error);
  const a = (args && args.args) || {};
  switch (cmd) {
    case 'plugin:webview|set_webview_zoom': return null;
    case 'app_info':
      if (vaultOpen) return { ...fx.app_info, engine: { state: 'running', listen: null } };
      return opts.vault === 'unlock' ? { ...fx.app_info, engine: vf.app_info_needs_passphrase.engine } : fx.app_info;
    case 'vault_status': return vaultOpen || !opts.vault ? vf.unlock_vault : opts.vault === 'create' ? vf.vault_status_create : vf.vault_status_unlock;
    case 'passphrase_strength': return a.passphrase === VAULT_PASSPHRASE ? vf.passphrase_strength_strong : vf.passphrase_strength_weak;
    case 'unlock_vault':
      if (a.passphrase !== VAULT_PASSPHRASE) return Promise.reject(a.create ? vf.unlock_vault_weak : vf.unlock_vault_wrong);
      vaultOpen = true;
      return later(50).then(() => emit('engine-changed', { state: 'running', listen: null })).then(() => vf.unlock_vault);
    case 'list_accounts':
      if (opts.managed) return (managed ??= [...fx.list_accounts, ...(opts.unipile ? [ow.unipile_account] : [])]);
      return opts.noAccounts ? added : opts.unipile ? [...fx.list_accounts, ow.unipile_account] : fx.list_accounts;
    case 'accounts_set_enabled': {
      const rec = a.enabled ? wz.accounts_set_enabled_on : wz.accounts_set_enabled_off;
      managed = (managed ?? fx.list_accounts).map((x) => (x.id === a.account_id ? { ...x, enabled: rec.enabled, status: rec.status, status_reason: rec.status_reason } : x));
      return managed.find((x) => x.id === a.account_id);
    }
    case 'accounts_remove': managed = (managed ?? fx.list_accounts).filter((x) => x.id !== a.account_id); return null;
    case 'wizard_test_wasender': return opts.wasenderRefused ? Promise.reject(wz.wizard_test_wasender_refused) : wz.wizard_test_wasender;
    case 'wizard_add_wasender': if (vaultLocked()) return Promise.reject(vf.passphrase_needed); added = [wz.wizard_add_wasender.account]; return wz.wizard_add_wasender;
    case 'wizard_import_env_text': return wz.wizard_import_env_text;
    case 'wizard_create_from_env_text': added = wz.wizard_create_from_env_text.map((x) => x.account); return wz.wizard_create_from_env_text;
    case 'wizard_import_export':
      if (!a.text.includes('wicket-export')) return Promise.reject(wz.wizard_import_export_invalid);
      added = wz.wizard_import_export.map((x) => x.account);
      return wz.wizard_import_export;
    case 'wizard_unipile_accounts': return wz.wizard_unipile_accounts;
    case 'wizard_unipile_connect': return wz.wizard_unipile_connect;
    case 'wizard_unipile_wait':
      // Not there at the first look (as while the owner scans), then found.
      return unipileWaits++ < 1 ? later(50).then(() => Promise.reject({ code: 'not_found', message: 'no new WhatsApp account was connected in UniPile within 30 s', kind: null })) : later(50, wz.wizard_unipile_wait);
    case 'wizard_add_unipile': added = wz.wizard_add_unipile.map((x) => x.account); return wz.wizard_add_unipile;
    case 'wizard_public_address': return wz.wizard_public_address;
    case 'wizard_start_listener': return wz.wizard_start_listener;
    case 'wizard_start_tunnel': return wz.wizard_start_tunnel;
    case 'wizard_check_public': return wz.wizard_check_public;
    case 'wizard_test_meta': return opts.metaRefused ? Promise.reject(wz.wizard_test_meta_refused) : wz.wizard_test_meta;
    case 'wizard_add_meta': if (vaultLocked()) return Promise.reject(vf.passphrase_needed); added = [wz.wizard_add_meta.account]; return wz.wizard_add_meta;
    case 'wizard_add_demo': added = [wz.wizard_add_demo]; return wz.wizard_add_demo;
    case 'wizard_first_sync': {
      const steps = a.account_id === wz.wizard_add_demo.id ? wz.wizard_first_sync_demo : wz.wizard_first_sync_meta;
      // Progress as the shell emits it, a step at a time.
      return (async () => {
        for (let i = 0; i < steps.length; i++) {
          await emit('wizard-progress', { step: steps[i].step, done: i, total: steps.length });
          await later(opts.syncDelay ?? 50);
        }
        await emit('wizard-progress', { step: 'done', done: steps.length, total: steps.length });
        return steps;
      })();
    }
    case 'list_conversations': return a.before ? [] : later(opts.listDelay ?? 0, conversations(a));
    case 'list_messages': {
      if (opts.long && a.conversation_id === 1) return longPage(a);
      // opts.automatic: the conversation's recorded page ends with a customer's question and the away message that answered it.
      const page = (opts.mediaEvicted && mc.list_messages[String(a.conversation_id)]) || fx.list_messages[String(a.conversation_id)] || [];
      const recorded = [...page, ...((opts.automatic && aw.automatic_messages[String(a.conversation_id)]) || [])];
      const all = recorded.map((m) => m.id === opts.unknownSend
        ? { ...m, status: 'unknown', error: { code: null, kind: 'outcome_unknown', message: 'the connection broke after the request was sent: it may have been sent' } }
        : m);
      if (a.around != null || a.after != null) {
        const at = all.findIndex((m) => m.id === (a.around ?? a.after));
        if (at < 0) return Promise.reject({ code: 'not_found', message: 'no message with id ' + (a.around ?? a.after), kind: null });
        const half = Math.floor(a.limit / 2);
        return a.around != null ? all.slice(Math.max(0, at - half), at + half + 1) : all.slice(at + 1, at + 1 + a.limit);
      }
      const end = a.before != null ? all.findIndex((m) => m.id === a.before) : all.length;
      return all.slice(Math.max(0, end - a.limit), end);
    }
    case 'open_conversation': {
      const c = a.id === fx.open_conversation.id ? fx.open_conversation : findConversation(a.id);
      return withDraft({ ...c, unread_count: 0, snoozed_until: snoozed.get(a.id) ?? c.snoozed_until ?? null });
    }
    case 'send_text':
      if (opts.sendError) return Promise.reject(fx.send_text_outside_window);
      return { ...fx.send_text, id: nextId++, conversation_id: a.conversation_id, text: a.text, timestamp: Date.now() };
    case 'search': {
      // manyHits: a long result list for paging (one conversation's numbered messages), newest first.
      if (opts.manyHits && a.query === 'many') {
        const n = Math.min(opts.manyHits, a.limit ?? 50);
        return Array.from({ length: n }, (_, i) => ({ message_id: opts.manyHits - i, conversation_id: 1, account_id: 1, display_name: 'Priya Shah', snippet: 'many number ' + (opts.manyHits - i), timestamp: ${SAMPLE_NOW} - i * 60000, kind: 'message', note_id: null }));
      }
      // Recorded per query and filter (account, label, media); the time range is applied to the recorded hits.
      const keys = ['account_id', 'label', 'has_media'].filter((k) => a[k] !== undefined && a[k] !== null);
      const key = keys.length ? a.query + '|' + keys.map((k) => k + '=' + a[k]).join('&') : a.query;
      const found = (fx.search[key] || (keys.length ? [] : qn.search[a.query]) || []).filter((h) => (a.since === undefined || h.timestamp >= a.since) && (a.until === undefined || h.timestamp < a.until));
      return found.slice(0, a.limit ?? 50);
    }
    case 'search_conversation': {
      if (opts.long && a.conversation_id === 1) {
        const ids = [];
        for (let id = opts.long; id >= 1; id--) if (('Message number ' + id).includes(a.query.trim())) ids.push(id);
        return ids.slice(0, 1000);
      }
      return fx.search_conversation[a.query] || [];
    }
    case 'save_draft': {
      const d = drafts();
      if (a.text) d[String(a.conversation_id)] = a.text;
      else delete d[String(a.conversation_id)];
      localStorage.setItem('wicket-test-drafts', JSON.stringify(d));
      return null;
    }
    case 'list_labels': return fx.list_labels;
    case 'retry_message':
      return a.id === fx.retry_message.id ? fx.retry_message : Promise.reject(fx.retry_message_outside_window);
    case 'retry_media': return { ...fx.retry_media, id: a.id };
    case 'open_media': return null;
    case 'send_media':
      if (opts.sendError) return Promise.reject(fx.send_text_outside_window);
      return { ...fx.send_media, id: nextId++, conversation_id: a.conversation_id, caption: a.caption ?? null, timestamp: Date.now(),
        media: { ...fx.send_media.media, file_name: a.file_name, mime: a.mime, size: a.bytes.length } };
    case 'list_templates': return fx.list_templates[String(a.account_id)] || [];
    case 'account_health': return fx.account_health[String(a.account_id)] || { ...Object.values(fx.account_health)[0], account_id: a.account_id, quality_rating: null, messaging_limit: null, attention: [], history_import: null };
    case 'owner_typing': (window.__typing ??= []).push(a.conversation_id); return fx.owner_typing;
    case 'send_template': {
      const t = (fx.list_templates[String(fx.list_accounts[0].id)] || []).find((t) => t.name === a.name);
      const headers = t && t.header_media ? 1 : t?.header_params.length;
      if (!t || a.body_params.length !== t.body_params.length || a.header_params.length !== headers) return Promise.reject(fx.send_template_wrong_params);
      return { ...fx.send_template, id: nextId++, conversation_id: a.conversation_id, timestamp: Date.now() };
    }
    case 'list_scheduled': return scheduled.get(a.conversation_id) || [];
    case 'schedule_text': {
      // As the core reads it: RFC 3339, or the date-time input's local value (the page's zone is the owner's).
      const at = Date.parse(a.send_at);
      if (Number.isNaN(at)) return Promise.reject(sc.schedule_text_bad_time);
      const c = findConversation(a.conversation_id);
      const account = fx.list_accounts.find((x) => x.id === c?.account_id);
      if (account?.has_service_window && (c.window_expires_at === null || at >= c.window_expires_at)) return Promise.reject(sc.schedule_text_outside_window);
      const s = { ...sc.schedule_text, id: nextId++, conversation_id: a.conversation_id, account_id: c?.account_id ?? sc.schedule_text.account_id, summary: a.text, send_at: at, created_at: Date.now() };
      scheduled.set(a.conversation_id, [...(scheduled.get(a.conversation_id) || []), s].sort((x, y) => x.send_at - y.send_at));
      return s;
    }
    case 'schedule_template': {
      // The same parameter check as send_template's mock, the same template rules as the core's.
      const t = (fx.list_templates[String(fx.list_accounts[0].id)] || []).find((t) => t.name === a.template.name);
      const headers = t && t.header_media ? 1 : t?.header_params.length;
      if (!t || a.template.body_params.length !== t.body_params.length || a.template.header_params.length !== headers) return Promise.reject(sc.schedule_template_wrong_params);
      const s = { ...sc.schedule_template, id: nextId++, conversation_id: a.template.conversation_id, summary: '[template ' + t.name + ' (' + t.language + ')]', send_at: Date.parse(a.send_at), created_at: Date.now() };
      scheduled.set(s.conversation_id, [...(scheduled.get(s.conversation_id) || []), s].sort((x, y) => x.send_at - y.send_at));
      return s;
    }
    case 'cancel_scheduled': {
      if (cancelled.has(a.id)) return Promise.reject(sc.cancel_scheduled_twice);
      for (const [k, list] of scheduled) {
        const s = list.find((x) => x.id === a.id);
        if (!s) continue;
        cancelled.add(a.id);
        scheduled.set(k, list.filter((x) => x.id !== a.id));
        return { ...s, state: 'cancelled' };
      }
      return Promise.reject({ code: 'not_found', message: 'no scheduled message with id ' + a.id, kind: null });
    }
    case 'bulk_check': return a.label ? bk.bulk_check_label : a.csv.includes('not-a-number') ? bk.bulk_check : bk.bulk_check_fixed;
    case 'bulk_start':
      if (a.csv && a.csv.includes('not-a-number')) return bk.bulk_start_refused;
      bulkJob = a.label ? { ...bk.bulk_cancel, state: 'running', finished_at: null, queued: 1, skipped: 0, skipped_reasons: [] } : bk.bulk_start.job;
      return a.label ? { report: bk.bulk_check_label, job: bulkJob, refused: null } : bk.bulk_start;
    case 'bulk_job':
      if (bulkJob.state !== 'running' || bulkJob.id !== bk.bulk_start.job.id) return bulkJob;
      return (bulkJob = bk.bulk_job[Math.min(bulkPolls++, bk.bulk_job.length - 1)]);
    case 'bulk_pause': return (bulkJob = bk.bulk_pause);
    case 'bulk_resume': return (bulkJob = bk.bulk_resume);
    case 'bulk_cancel': return (bulkJob = bk.bulk_cancel);
    case 'bulk_jobs': return bk.bulk_jobs;
    case 'list_quick_replies': return quickReplies;
    case 'save_quick_reply': {
      const shortcut = a.shortcut.trim().replace(/^\\\//, '');
      if (!/^[\\p{L}\\p{N}_-]+$/u.test(shortcut)) return Promise.reject(qn.save_quick_reply_bad_shortcut);
      if (quickReplies.some((q) => q.shortcut.toLowerCase() === shortcut.toLowerCase() && q.id !== a.id)) return Promise.reject(qn.save_quick_reply_taken);
      const old = quickReplies.find((q) => q.id === a.id);
      const file_name = a.file ? a.file.file_name : a.remove_file ? null : (old?.file_name ?? null);
      const q = { id: a.id ?? nextId++, shortcut, text: a.text, file_name, mime_type: file_name ? (a.file ? 'application/octet-stream' : old.mime_type) : null };
      quickReplies = [...quickReplies.filter((x) => x.id !== q.id), q].sort((x, y) => x.shortcut.toLowerCase().localeCompare(y.shortcut.toLowerCase()));
      return q;
    }
    case 'remove_quick_reply': {
      const q = quickReplies.find((x) => x.shortcut === a.shortcut);
      quickReplies = quickReplies.filter((x) => x !== q);
      return q;
    }
    case 'fill_quick_reply': {
      const f = qn.fill_quick_reply[String(a.conversation_id)]?.[a.shortcut];
      return f ?? Promise.reject({ code: 'not_found', message: 'no recorded fill for /' + a.shortcut + ' in conversation ' + a.conversation_id, kind: null });
    }
    case 'snooze_conversation': {
      const until = Date.parse(a.until);
      if (!(until > Date.now())) return Promise.reject({ code: 'invalid', message: 'cannot snooze until ' + a.until + ': that time has passed', kind: null });
      snoozed.set(a.conversation_id, until);
      return { ...findConversation(a.conversation_id), snoozed_until: until };
    }
    case 'unsnooze_conversation': snoozed.delete(a.id); return { ...sz.unsnooze_conversation, ...findConversation(a.id), snoozed_until: null };
    case 'list_reminders': return reminderList.filter((r) => a.conversation_id == null || r.conversation_id === a.conversation_id);
    case 'add_reminder': {
      const at = Date.parse(a.at);
      if (!(at > Date.now())) return Promise.reject({ code: 'invalid', message: 'cannot remind you at ' + a.at + ': that time has passed', kind: null });
      const m = Object.values(fx.list_messages).flat().find((x) => x.id === a.message_id);
      const r = { ...sz.add_reminder, id: nextId++, message_id: a.message_id, conversation_id: m.conversation_id, remind_at: at, note: (a.note ?? '').trim(), preview: m.text ?? m.caption ?? m.kind };
      reminderList = [...reminderList, r].sort((x, y) => x.remind_at - y.remind_at || x.id - y.id);
      return r;
    }
    case 'cancel_reminder': {
      const r = reminderList.find((x) => x.id === a.id);
      reminderList = reminderList.filter((x) => x.id !== a.id);
      return r ?? Promise.reject({ code: 'not_found', message: 'no reminder with id ' + a.id + ' (see wicket reminders)', kind: null });
    }
    case 'list_notes': return notes.get(a.conversation_id) || [];
    case 'add_note': {
      if (!a.text.trim()) return Promise.reject(qn.add_note_empty);
      const c = findConversation(a.conversation_id);
      const n = { ...qn.add_note, id: nextId++, text: a.text.trim(), contact_id: a.on_contact ? c.contact_id : null, conversation_id: a.on_contact ? null : a.conversation_id, created_at: Date.now(), updated_at: Date.now() };
      notes.set(a.conversation_id, [...(notes.get(a.conversation_id) || []), n]);
      return n;
    }
    case 'edit_note': {
      const n = { ...allNotes().find((x) => x.id === a.id), text: a.text.trim(), updated_at: Date.now() };
      for (const [k, list] of notes) notes.set(k, list.map((x) => (x.id === a.id ? n : x)));
      return n;
    }
    case 'delete_note': {
      const n = allNotes().find((x) => x.id === a.id);
      for (const [k, list] of notes) notes.set(k, list.filter((x) => x.id !== a.id));
      return n ?? Promise.reject({ code: 'not_found', message: 'no note with id ' + a.id, kind: null });
    }
    case 'backup_status': return backups;
    case 'backup_set_schedule': return (backups = { ...backups, ...a, passphrase: undefined, passphrase_set: backups.passphrase_set || !!a.passphrase, folder: a.folder || bu.backup_set_schedule.folder });
    case 'backup_create': backups = { ...bu.backup_status, enabled: backups.enabled }; return bu.backup_create;
    case 'backup_restore':
      if (a.passphrase !== VAULT_PASSPHRASE) return Promise.reject(bu.backup_restore_wrong_passphrase);
      return a.force ? bu.backup_restore : Promise.reject(bu.backup_restore_needs_confirmation);
    case 'contact_export': return bu.contact_export;
    case 'contact_erase': return bu.contact_erase;
    case 'contact_suggestions': return opts.noSuggestions || mergeDismissed ? [] : mg.contact_suggestions;
    case 'contact_suggestion_dismiss': mergeDismissed = true; return null;
    case 'contact_merge_candidates': return mg.contact_merge_candidates;
    case 'contact_merge': {
      if (a.keep_id === a.other_id) return Promise.reject(mg.contact_merge_refused);
      const other = mg.contact_merge_candidates.find((k) => k.contact_id === a.other_id);
      lastMerge = { ...mg.contact_merge, removed_id: a.other_id, removed_name: other ? other.display_name : mg.contact_merge.removed_name };
      return lastMerge;
    }
    case 'contact_merge_undo_offer':
      return lastMerge && lastMerge.kept_id === a.contact_id ? { merge_id: lastMerge.merge_id, removed_name: lastMerge.removed_name } : null;
    case 'contact_merge_undo': {
      if (!lastMerge || (a.merge_id != null && a.merge_id !== lastMerge.merge_id)) return Promise.reject(mg.contact_merge_undo_blocked);
      lastMerge = null;
      return mg.contact_merge_undo;
    }
    case 'get_auto_replies': return (autoReplies ??= opts.autoReplies ? aw.get_auto_replies : aw.get_auto_replies_default);
    case 'set_auto_replies': {
      // The core's checks that the recorded refusals show: a range must end after it starts (by 24:00), a holiday is YYYY-MM-DD.
      if (a.days.some((d) => d.ranges.some((r) => r.to <= r.from))) return Promise.reject(aw.set_auto_replies_bad_range);
      if (a.holidays.some((h) => !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(h))) return Promise.reject(aw.set_auto_replies_bad_holiday);
      const open = a.days.filter((d) => d.ranges.length);
      return (autoReplies = { ...aw.set_auto_replies, ...a, holidays: [...a.holidays].sort(), away_message: a.away_message.trim(), greeting_message: a.greeting_message.trim(),
        around_the_clock: open.length === 0, opening_hours: open.map((d) => d.day + ' ' + d.ranges.map((r) => r.from + '-' + r.to).join(',')).join('; ') });
    }
    case 'media_usage': return mediaUsage;
    case 'set_media_limit':
      // The catalog's check: a whole number of megabytes, 0 or more.
      if (!Number.isInteger(a.limit_mb) || a.limit_mb < 0) return Promise.reject(mc.set_media_limit_invalid);
      mediaUsage = a.limit_mb === 1 ? mc.set_media_limit.usage : { ...mediaUsage, limit_mb: a.limit_mb };
      return a.limit_mb === 1 ? mc.set_media_limit : { ...mc.media_prune, usage: mediaUsage };
    case 'media_prune': return { ...mc.media_prune, usage: mediaUsage };
    case 'redownload_media': {
      // The recorded refusal for the file past Meta's window, else the recorded queued answer for this id.
      const gone = Object.values(mc.list_messages).flat().find((m) => m.media && m.media.id === a.id && m.media.error);
      if (gone) return Promise.reject(mc.redownload_media_gone);
      const shown = Object.values(mc.list_messages).flat().find((m) => m.media && m.media.id === a.id);
      return { ...mc.redownload_media, id: a.id, file_name: shown ? shown.media.file_name : mc.redownload_media.file_name, mime: shown ? shown.media.mime : mc.redownload_media.mime };
    }
    case 'get_preferences': return prefs;
    case 'set_preferences':
      if (opts.prefsRefused) return Promise.reject(st.set_preferences_invalid);
      if (!/^[A-Z]{2}$/.test(a.default_country)) return Promise.reject(st.set_preferences_bad_country);
      prefs = { ...a, tray_available: prefs.tray_available };
      return prefs;
    case 'set_focused_conversation': return null;
    case 'app_about': return st.app_about;
    case 'list_jobs': return st.list_jobs;
    case 'list_alerts': return opts.alerts ?? [];
    case 'set_conversation_flags':
    case 'mark_unread':
    case 'set_conversation_labels': {
      // The recorded answers show the shape; the flags asked for are applied to the page's conversation.
      const c = findConversation(a.id);
      if (!c) return Promise.reject(af.missing);
      if (cmd === 'mark_unread') return { ...c, unread_count: Math.max(1, c.unread_count) };
      if (cmd === 'set_conversation_labels') return { ...c, labels: a.labels.map((l) => l.trim()).filter(Boolean) };
      return { ...c, pinned: a.pinned ?? c.pinned, archived: a.archived ?? c.archived, muted: a.muted ?? c.muted };
    }
    case 'account_limits': return limits;
    case 'set_account_limits':
      if (a.limits.max_per_second < 1) return Promise.reject(lf.set_account_limits_invalid);
      limits = a.limits;
      return limits;
    case 'get_stats': {
      if (a.days < 1) return Promise.reject(stf.get_stats_invalid);
      // One account's figures: the recorded ones scaled down, so a change of account shows.
      if (a.account_id === null) return { ...stf.get_stats, account_id: null };
      return { ...stf.get_stats, account_id: a.account_id, received: Math.floor(stf.get_stats.received / 2) };
    }
    case 'open_folder': return null;
    case 'webhook_listener': return listener;
    case 'set_webhook_listener': {
      // The core reads ADDR:PORT: a name is refused; an address other machines reach is warned about.
      if (!/^[0-9a-fA-F.:]+$/.test(a.address.trim())) return Promise.reject(ow.set_webhook_listener_invalid);
      const base = a.address.trim() === '0.0.0.0' ? ow.set_webhook_listener_open : ow.set_webhook_listener;
      listener = { ...base, enabled: a.enabled, port: a.port, listening: a.enabled ? base.listening : null };
      return later(opts.listenerDelay ?? 0, listener);
    }
    case 'account_polling': return { ...polling, account_id: a.account_id };
    case 'set_account_polling':
      if (a.idle_seconds < a.active_seconds) return Promise.reject(ow.set_account_polling_invalid);
      polling = { account_id: a.account_id, active_seconds: a.active_seconds, idle_seconds: a.idle_seconds };
      return polling;
    case 'data_export': return { ...ow.data_export, format: a.format, path: ow.data_export.path.replace(/json$/, a.format) };
    case 'data_import': return opts.importRefused ? Promise.reject(ow.data_import_refused) : a.text.includes('wicket-export') ? ow.data_import : Promise.reject({ code: 'invalid', message: a.name + ' is not a Wicket export', kind: null });
    case 'public_address_status': return address;
    case 'public_address_restart':
      address = pa.public_address_restart;
      // 'held': the restart answers when the test calls window.__releaseRestart() (its in-between state stays for as long as it looks).
      if (opts.addressDelay === 'held') return new Promise((resolve) => (window.__releaseRestart = () => resolve(address)));
      return later(opts.addressDelay ?? 0, address);
    case 'public_address_stop': address = pa.public_address_stop; return address;
    case 'lock_status': return lock;
    case 'lock_now':
      if (!lock.enabled) return Promise.reject(al.lock_now_off);
      lock = { ...lock, locked: true };
      return lock;
    case 'unlock_app':
      if (a.passphrase !== APPLOCK_PASSPHRASE) return Promise.reject(al.unlock_app_wrong);
      lock = { ...lock, locked: false, failures: 0 };
      return lock;
    case 'lock_set_passphrase':
      if (a.passphrase.length < 4) return Promise.reject(al.lock_set_passphrase_short);
      if (lock.enabled && !a.current) return Promise.reject(al.lock_set_passphrase_needs_current);
      if (lock.enabled && a.current !== APPLOCK_PASSPHRASE) return Promise.reject(al.unlock_app_wrong);
      lock = { ...al.lock_set_passphrase, lock_after_minutes: lock.lock_after_minutes };
      return lock;
    case 'lock_turn_off':
      if (a.passphrase !== APPLOCK_PASSPHRASE) return Promise.reject(al.unlock_app_wrong);
      lock = { ...al.lock_turn_off, lock_after_minutes: lock.lock_after_minutes };
      return lock;
    case 'lock_set_idle': lock = { ...lock, lock_after_minutes: a.minutes }; return lock;
    default: return Promise.reject({ code: 'not_found', message: 'no such command in the mock: ' + cmd, kind: null });
  }
}, { shouldMockEvents: true });
// Commands that take a file get its bytes as the raw body and their arguments
// as percent-encoded JSON in a header (callWithBytes in ui/src/api.ts; Tauri's
// mockIPC drops headers): the mock and __calls see the arguments with the
// bytes beside them as \`bytes\` (an array of numbers).
const mockedInvoke = window.__TAURI_INTERNALS__.invoke;
window.__TAURI_INTERNALS__.invoke = (cmd, args, options) => {
  const header = options && options.headers && options.headers['x-wicket-args'];
  if (header === undefined) return mockedInvoke(cmd, args, options);
  if (!(args instanceof Uint8Array)) return Promise.reject({ code: 'invalid', message: cmd + ': the file must be sent as bytes', kind: null });
  return mockedInvoke(cmd, { args: { ...JSON.parse(decodeURIComponent(header)), bytes: Array.from(args) } }, options);
};
// The shell's wicket-media: addresses, served by this test server (/__media__/).
window.__TAURI_INTERNALS__.convertFileSrc = (path, protocol) => (protocol === 'wicket-media' ? '/__media__/' + path : path);
`;
}

/** Starts the server on a free loopback port; returns its URL and a close function. */
export async function serve() {
  const policy = await csp();
  const setup = setupSource();
  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url, 'http://x').pathname;
      let body;
      let type;
      if (path.startsWith('/__media__/')) {
        const key = decodeURIComponent(path.slice('/__media__/'.length));
        if (key.startsWith('quick-reply/')) {
          // A quick reply's file: the bytes the shell served when the fixtures were recorded.
          const recorded = quickNotesFixtures.quick_reply_files?.[key.slice('quick-reply/'.length)];
          if (!recorded) throw new Error('no such quick reply file');
          body = Buffer.from(recorded, 'base64');
          type = 'application/octet-stream';
        } else {
          // A contact's cached picture: the sample stores the sticker as Priya's.
          const name = key.startsWith('contact/') ? 'sticker.webp' : mediaFiles().get(key);
          if (!name) throw new Error('no such media');
          body = await readFile(join(mediaDir, name));
          type = TYPES[extname(name)];
        }
      } else if (path === '/__test__/setup.js') {
        body = setup;
        type = 'text/javascript';
      } else if (path === '/__test__/mocks.js') {
        body = await readFile(require.resolve('@tauri-apps/api/mocks').replace(/\.cjs$/, '.js'));
        type = 'text/javascript';
      } else {
        const file = normalize(join(dist, path === '/' ? 'index.html' : path));
        if (!file.startsWith(dist + sep)) throw new Error('outside dist');
        body = await readFile(file);
        type = TYPES[extname(file)] ?? 'application/octet-stream';
        if (file.endsWith('index.html')) {
          // The mock first: module scripts run in document order.
          body = body.toString().replace('<head>', '<head>\n<script type="module" src="/__test__/setup.js"></script>');
        }
      }
      res.writeHead(200, { 'Content-Type': type, 'Content-Security-Policy': policy, 'Cache-Control': 'no-store' });
      res.end(body);
    } catch (e) {
      if (process.env.WICKET_TEST_DEBUG) console.error(req.url, e);
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium, headless; never a downloaded browser. */
export async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A fresh page on the UI at the fixtures' time (a minute after SAMPLE_NOW,
 * London time, British English), with `options` for the mock.
 */
export async function openApp(browser, url, options = {}, { colorScheme = 'light', width = 1280, height = 800, deviceScaleFactor = 1, ready = '.conv' } = {}) {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'Europe/London', colorScheme, viewport: { width, height }, deviceScaleFactor });
  context.setDefaultTimeout(5000);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') page.errors.push(m.text());
  });
  await page.clock.setFixedTime(new Date(SAMPLE_NOW + 60_000));
  await page.addInitScript((o) => {
    window.__WICKET_TEST__ = o;
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  }, options);
  await page.goto(url);
  await page.locator(ready).first().waitFor();
  return page;
}

/** The invokes the app made, optionally of one command. */
export async function calls(page, cmd) {
  const all = await page.evaluate(() => window.__calls);
  return cmd ? all.filter((c) => c.cmd === cmd) : all;
}

/**
 * One browser and one server for a test file, and at its end the checks
 * every page must pass: no CSP violation (the strict CSP of
 * tauri.conf.json) and no script error. Returns `app(options, view)`, which
 * opens the app in a new page that those checks cover.
 */
export function browserSuite() {
  let server;
  let browser;
  const pages = [];
  before(async () => {
    server = await serve();
    browser = await launch();
  });
  after(async () => {
    for (const p of pages) {
      const csp = await p.evaluate(() => window.__csp).catch(() => []);
      assert.deepEqual(csp, [], 'the UI runs under the strict CSP of tauri.conf.json without a violation');
      assert.deepEqual(p.errors, [], 'no script errors in the page');
    }
    await browser?.close();
    await server?.close();
  });
  return async function app(options = {}, view = {}) {
    const page = await openApp(browser, server.url, options, view);
    pages.push(page);
    return page;
  };
}

/** Opens conversation `c` from the list and waits for its messages. */
export async function openChat(page, c) {
  await page.locator(`.conv[data-conversation-id="${c.id}"]`).click();
  await page.locator('.chat-header h2', { hasText: c.display_name }).waitFor();
  await page.locator('.bubble').first().waitFor();
}
