// The window: the rail, the conversation list and the open chat. It holds
// what the three panes share (accounts, the list, the selection, the clock)
// and keeps it current from the shell's events; nothing here polls.

import { CircleAlert, Cloud, CloudOff, KeyRound, RefreshCw, X } from 'lucide-preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, on, onPassphraseNeeded } from './api';
import type { AccountDto, AppInfo, CommandError, ConversationDto, ListFilter, PublicAddressStatusDto, SearchHitDto } from './bindings';
import { ChatView } from './components/ChatView';
import { NO_FILTER, searchArgs, type SearchFilter } from './components/SearchFilters';
import { ConversationList, ordered } from './components/ConversationList';
import { stepZoom } from './zoom';
import { Announcer } from './components/Announcer';
import { Rail, STATUS_TEXT, statusSince } from './components/Rail';
import { Settings } from './components/Settings';
import { Wizard } from './components/wizard/Wizard';
import { AccountsSettings } from './components/AccountsSettings';
import { WebhookSettings } from './components/WebhookSettings';
import { ExportImport } from './components/ExportImport';
import { BulkSend } from './components/BulkSend';
import { AlertBanners, STATUS_ALERTS, useAlerts } from './components/AlertBanners';
import { StatsView } from './components/StatsView';
import { CommandPalette, type PaletteCommand } from './components/CommandPalette';
import { ConversationActions, type ConversationAction } from './components/ConversationActions';
import { presets as snoozePresets } from './components/Snooze';
import { ShortcutSheet } from './components/ShortcutSheet';
import { FIND_IN_CHAT, FOCUS_COMPOSER, keysOf, REPLY_LATEST, SHORTCUTS, SHOW_TEMPLATES, typingIn } from './shortcuts';
import { addressTrouble, PublicAddressBanner, PublicAddressNote } from './components/PublicAddress';
import { VaultDialog } from './components/VaultDialog';
import { applyTheme } from './theme';
import { lockNow } from './components/AppLock';

const LIST_PAGE = 100;
/** Search results asked for at a time (more as the results scroll), and at most. */
const HIT_PAGE = 50;
const MAX_HITS = 500;
const CLOCK_TICK = 30_000; // the list's times and the window badge

function EngineNote({ info, onUnlock }: { info: AppInfo | null; onUnlock: () => void }) {
  if (!info) return null;
  const e = info.engine;
  if (e.state === 'needs_passphrase') {
    return (
      <div class="engine engine-needs_passphrase" role="status">
        <KeyRound size={14} aria-hidden="true" />
        <span>Not sending: the vault is locked</span>
        <button type="button" class="wizard-btn wizard-small" onClick={onUnlock}>
          Unlock
        </button>
      </div>
    );
  }
  let text;
  if (e.state === 'running') text = <span>Sending and receiving{e.listen ? ` (webhooks on ${e.listen})` : ''}</span>;
  else if (e.state === 'elsewhere') text = <span>Sent by another Wicket engine: {e.holder}</span>;
  else text = <span>Not sending: {e.reason}</span>;
  return (
    <div class={`engine engine-${e.state}`} role="status">
      {e.state === 'stopped' ? <CloudOff size={14} aria-hidden="true" /> : e.state === 'running' ? <Cloud size={14} aria-hidden="true" /> : <RefreshCw size={14} aria-hidden="true" />}
      {text}
    </div>
  );
}

/**
 * The vault dialog's state: open (knowing whether a vault exists, or not yet),
 * and the command waiting for it, if one asked.
 */
type VaultAsk = { exists: boolean | null; resolve?: (unlocked: boolean) => void };

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [accounts, setAccounts] = useState<AccountDto[] | null>(null);
  const [accountId, setAccountId] = useState<number | null>(null);
  const [filter, setFilter] = useState<ListFilter>('all');
  const [label, setLabel] = useState<string | null>(null);
  const [labels, setLabels] = useState<string[]>([]);
  const [convs, setConvs] = useState<ConversationDto[]>([]);
  // Nothing is drawn until the first list arrives: no "No conversations yet" flash at every start.
  const [listLoaded, setListLoaded] = useState(false);
  const [hasMore, setHasMore] = useState(false);
  const [open, setOpen] = useState<{ c: ConversationDto; unread: number; focus?: number } | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHitDto[] | null>(null);
  const [searchFilter, setSearchFilter] = useState<SearchFilter>(NO_FILTER);
  const [hitLimit, setHitLimit] = useState(HIT_PAGE);
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<CommandError | null>(null);
  const [adding, setAdding] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [statsOpen, setStatsOpen] = useState(false);
  const [bulkOpen, setBulkOpen] = useState(false);
  const [paletteOpen, setPaletteOpen] = useState(false);
  const [snoozing, setSnoozing] = useState(false);
  const [sheetOpen, setSheetOpen] = useState(false);
  const [address, setAddress] = useState<PublicAddressStatusDto | null>(null);
  const [vault, setVault] = useState<VaultAsk | null>(null);
  // "Not now" at launch: the dialog waits for the note's Unlock button.
  const vaultPostponed = useRef(false);
  const scope = useRef({ accountId, filter, label });
  scope.current = { accountId, filter, label };
  const openRef = useRef(open);
  openRef.current = open;
  const shown = useRef(0);
  shown.current = convs.length;

  // The owner's theme, from the preferences (Settings applies changes itself).
  useEffect(() => {
    call('get_preferences')
      .then((p) => applyTheme(p.theme))
      .catch(() => undefined);
  }, []);

  const loadAccounts = useCallback(() => {
    call('app_info').then(setInfo).catch(setError);
    call('list_accounts').then(setAccounts).catch(setError);
    call('list_labels').then(setLabels).catch(setError);
    call('public_address_status').then(setAddress).catch(setError);
  }, []);

  const loadList = useCallback((minimum = LIST_PAGE) => {
    const { accountId, filter, label } = scope.current;
    call('list_conversations', { account_id: accountId ?? undefined, filter, label: label ?? undefined, limit: minimum })
      .then((list) => {
        // A late answer for an earlier filter is dropped.
        if (scope.current.accountId !== accountId || scope.current.filter !== filter || scope.current.label !== label) return;
        setConvs(list);
        setHasMore(list.length === minimum);
        setListLoaded(true);
      })
      .catch(setError);
  }, []);

  const loadMore = useCallback(() => {
    const last = convs[convs.length - 1];
    if (!last || !hasMore) return;
    setHasMore(false);
    call('list_conversations', {
      account_id: accountId ?? undefined,
      filter,
      label: label ?? undefined,
      limit: LIST_PAGE,
      before: { last_activity_at: last.last_activity_at ?? 0, id: last.id, pinned: last.pinned },
    })
      .then((page) => {
        setConvs((list) => [...list, ...page.filter((c) => !list.some((x) => x.id === c.id))]);
        setHasMore(page.length === LIST_PAGE);
      })
      .catch(setError);
  }, [convs, hasMore, accountId, filter, label]);

  useEffect(loadAccounts, []);

  // A command that needs the vault asks for its passphrase, then runs again.
  useEffect(() => {
    onPassphraseNeeded(() => new Promise<boolean>((resolve) => setVault({ exists: null, resolve })));
    return () => onPassphraseNeeded(null);
  }, []);
  // The engine waits for the passphrase (every launch without a keychain).
  const engine = info?.engine;
  useEffect(() => {
    if (engine?.state === 'needs_passphrase') {
      if (!vaultPostponed.current) setVault((v) => v ?? { exists: engine.vault_exists });
    } else if (engine) {
      // Opened elsewhere (or the engine no longer waits): a dialog no command waits for closes.
      setVault((v) => (v && !v.resolve ? null : v));
    }
  }, [engine]);
  const vaultDone = (unlocked: boolean) => {
    vault?.resolve?.(unlocked);
    if (!unlocked && !vault?.resolve) vaultPostponed.current = true;
    setVault(null);
    if (unlocked) loadAccounts();
  };
  const vaultDialog = vault && <VaultDialog vaultExists={vault.exists} onDone={vaultDone} />;
  useEffect(() => loadList(), [accountId, filter, label]);

  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), CLOCK_TICK);
    return () => window.clearInterval(t);
  }, []);

  // The shell's events.
  useEffect(() => {
    let timer: number | undefined;
    const stops = [
      on('conversation-changed', (c) => {
        setConvs((list) => (list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : list));
        setOpen((o) => (o && o.c.id === c.id ? { ...o, c } : o));
      }),
      on('conversation-updated', (c) => {
        setConvs((list) => (list.some((x) => x.id === c.id) ? list.map((x) => (x.id === c.id ? c : x)) : list));
        setOpen((o) => (o && o.c.id === c.id ? { ...o, c } : o));
      }),
      on('account-state', (a) => setAccounts((list) => (list ? list.map((x) => (x.id === a.id ? a : x)) : list))),
      on('engine-changed', (engine) => setInfo((i) => (i ? { ...i, engine } : i))),
      on('public-address-health', setAddress),
      on('store-changed', () => {
        // Another process committed: reload what is shown, once per burst.
        window.clearTimeout(timer);
        timer = window.setTimeout(() => {
          loadAccounts();
          loadList(Math.max(LIST_PAGE, shown.current));
        }, 150);
      }),
    ];
    return () => {
      window.clearTimeout(timer);
      stops.forEach((s) => s.then((stop) => stop()));
    };
  }, []);

  // A notification was clicked: open its chat (a summary opens the unread list).
  useEffect(() => {
    const stop = on('open-conversation', ({ conversation_id, message_id }) => {
      setSettingsOpen(false);
      if (conversation_id === null) {
        setFilter('unread');
        return;
      }
      call('open_conversation', { id: conversation_id })
        .then((c) => {
          // A reminder opens the chat at its message.
          setOpen({ c, unread: 0, focus: message_id ?? undefined });
          setConvs((list) => list.map((x) => (x.id === c.id ? c : x)));
        })
        .catch(setError);
    });
    return () => {
      stop.then((s) => s());
    };
  }, []);

  // The shell is told which chat is in front, so it does not notify about it.
  const openId = open?.c.id ?? null;
  useEffect(() => {
    const report = () => call('set_focused_conversation', { conversation_id: document.hasFocus() ? openId : null }).catch(() => undefined);
    report();
    window.addEventListener('focus', report);
    window.addEventListener('blur', report);
    return () => {
      window.removeEventListener('focus', report);
      window.removeEventListener('blur', report);
    };
  }, [openId]);

  // Search as you type, a little after the last keystroke; the filters and
  // the number of results shown (it grows as the results scroll) ask again.
  useEffect(() => setHitLimit(HIT_PAGE), [query, searchFilter]);
  useEffect(() => {
    if (!query.trim()) {
      setHits(null);
      return;
    }
    const t = window.setTimeout(() => {
      call('search', { query, ...searchArgs(searchFilter), limit: hitLimit })
        .then(setHits)
        .catch(setError);
    }, 200);
    return () => window.clearTimeout(t);
  }, [query, searchFilter, hitLimit]);

  const openConversation = useCallback((c: ConversationDto) => {
    setOpen({ c, unread: c.unread_count });
    // Always: the core reads it, tells the provider and names a nameless contact.
    call('open_conversation', { id: c.id })
      .then((read) => {
        setConvs((list) => list.map((x) => (x.id === read.id ? read : x)));
        setOpen((o) => (o && o.c.id === read.id ? { ...o, c: read } : o));
      })
      .catch(setError);
  }, []);

  // A search result opens its conversation at the message found.
  const openHit = (h: SearchHitDto) => {
    call('open_conversation', { id: h.conversation_id })
      .then((c) => {
        // A note has no message to open at: the conversation opens at its newest.
        setOpen({ c, unread: 0, focus: h.kind === 'note' || !h.message_id ? undefined : h.message_id });
        setConvs((list) => list.map((x) => (x.id === c.id ? c : x)));
      })
      .catch(setError);
  };

  const onDraft = useCallback((id: number, text: string) => {
    setConvs((list) => list.map((c) => (c.id === id ? { ...c, draft: text || null } : c)));
  }, []);

  // The conversation actions, from the header, the palette and the keyboard.
  const act = useCallback((action: ConversationAction, c: ConversationDto) => {
    const flags = { id: c.id, pinned: null, archived: null, muted: null };
    const done =
      action === 'mark_unread'
        ? call('mark_unread', { id: c.id })
        : call('set_conversation_flags', { ...flags, [action === 'archive' ? 'archived' : action === 'pin' ? 'pinned' : 'muted']: !(action === 'archive' ? c.archived : action === 'pin' ? c.pinned : c.muted) });
    done
      .then((changed) => {
        setConvs((list) => list.map((x) => (x.id === changed.id ? changed : x)));
        // Marked unread: it stays unread until opened again, so the chat closes.
        setOpen((o) => (o && o.c.id === changed.id ? (action === 'mark_unread' ? null : { ...o, c: changed }) : o));
        // Archiving moves it between the inbox and Archived; pinning reorders.
        if (action === 'archive' || action === 'pin') loadList(Math.max(LIST_PAGE, shown.current));
        setError(null);
      })
      .catch(setError);
  }, []);
  // Snoozed: it leaves the list (but the Snoozed view) and the chat closes; unsnoozed: back at once.
  const snooze = useCallback((c: ConversationDto, until: string) => {
    call('snooze_conversation', { conversation_id: c.id, until })
      .then((changed) => {
        setSnoozing(false);
        setOpen((o) => (o && o.c.id === changed.id ? null : o));
        if (scope.current.filter === 'snoozed') loadList(Math.max(LIST_PAGE, shown.current));
        else setConvs((list) => list.filter((x) => x.id !== changed.id));
        setError(null);
      })
      .catch(setError);
  }, []);
  const unsnooze = useCallback((c: ConversationDto) => {
    call('unsnooze_conversation', { id: c.id })
      .then((changed) => {
        setOpen((o) => (o && o.c.id === changed.id ? { ...o, c: changed } : o));
        loadList(Math.max(LIST_PAGE, shown.current));
        setError(null);
      })
      .catch(setError);
  }, []);
  const setConversationLabels = useCallback((c: ConversationDto, next: string[]) => {
    call('set_conversation_labels', { id: c.id, labels: next })
      .then((changed) => {
        setConvs((list) => list.map((x) => (x.id === changed.id ? changed : x)));
        setOpen((o) => (o && o.c.id === changed.id ? { ...o, c: changed } : o));
        call('list_labels').then(setLabels).catch(setError);
      })
      .catch(setError);
  }, []);

  // Keyboard: every shortcut of shortcuts.ts (the sheet lists the same).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = typingIn(e.target);
      const s = SHORTCUTS.find((x) => x.matches(e, typing));
      if (!s) return;
      const list = ordered(convs);
      const current = openRef.current?.c ?? null;
      const i = list.findIndex((c) => c.id === current?.id);
      const move = (step: 1 | -1, unreadOnly: boolean) => {
        for (let j = i + step; j >= 0 && j < list.length; j += step) {
          if (!unreadOnly || list[j].unread_count > 0) return openConversation(list[j]);
        }
        if (i === -1 && list.length && !unreadOnly) openConversation(list[0]);
      };
      e.preventDefault();
      switch (s.id) {
        case 'palette':
          return setPaletteOpen(true);
        case 'search':
          // In a chat: find in it; else search everything.
          if (current) return window.dispatchEvent(new Event(FIND_IN_CHAT));
          return document.querySelector<HTMLInputElement>('.search input')?.focus();
        case 'next':
          return move(1, false);
        case 'previous':
          return move(-1, false);
        case 'next_unread':
          return move(1, true);
        case 'previous_unread':
          return move(-1, true);
        case 'archive':
        case 'mark_unread':
        case 'pin':
        case 'mute':
          return current && act(s.id, current);
        case 'reply':
          return window.dispatchEvent(new Event(REPLY_LATEST));
        case 'composer':
          return window.dispatchEvent(new Event(FOCUS_COMPOSER));
        case 'zoom_in':
          return void stepZoom(1).catch(() => undefined);
        case 'zoom_out':
          return void stepZoom(-1).catch(() => undefined);
        case 'zoom_reset':
          return void stepZoom(0).catch(() => undefined);
        case 'sheet':
          return setSheetOpen(true);
        case 'lock':
          return void lockNow().catch(setError);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [convs]);

  // The command palette's entries: the open conversation's actions first, then the app's, then every conversation in the list.
  const paletteCommands = (): PaletteCommand[] => {
    const c = open?.c ?? null;
    const list: PaletteCommand[] = [];
    if (c) {
      list.push(
        { id: 'archive', title: c.archived ? `Unarchive ${c.display_name}` : `Archive ${c.display_name}`, hint: keysOf('archive'), run: () => act('archive', c) },
        { id: 'mark_unread', title: `Mark ${c.display_name} unread`, hint: keysOf('mark_unread'), run: () => act('mark_unread', c) },
        { id: 'pin', title: c.pinned ? `Unpin ${c.display_name}` : `Pin ${c.display_name}`, hint: keysOf('pin'), run: () => act('pin', c) },
        { id: 'mute', title: c.muted ? `Unmute ${c.display_name}` : `Mute ${c.display_name}`, hint: keysOf('mute'), run: () => act('mute', c) },
        ...(c.snoozed_until !== null
          ? [{ id: 'unsnooze', title: `Unsnooze ${c.display_name}`, keywords: 'snooze back', run: () => unsnooze(c) }]
          : [
              ...snoozePresets(Date.now()).map((s) => ({ id: `snooze-${s.id}`, title: `Snooze ${c.display_name}: ${s.label.toLowerCase()}`, keywords: 'snooze later remind', run: () => snooze(c, new Date(s.at).toISOString()) })),
              { id: 'snooze-pick', title: `Snooze ${c.display_name} until…`, keywords: 'snooze pick a time date', run: () => setSnoozing(true) },
            ]),
        { id: 'reply', title: "Reply to the chosen message (else the customer's latest)", hint: keysOf('reply'), run: () => window.dispatchEvent(new Event(REPLY_LATEST)) },
        { id: 'template', title: 'Send a template', keywords: 'template message', run: () => window.dispatchEvent(new Event(SHOW_TEMPLATES)) },
        { id: 'find', title: `Find in ${c.display_name}`, hint: keysOf('search'), keywords: 'search', run: () => window.dispatchEvent(new Event(FIND_IN_CHAT)) },
      );
      for (const l of labels) {
        const has = c.labels.includes(l);
        list.push({ id: `label-${l}`, title: has ? `Remove the label “${l}”` : `Label “${l}”`, keywords: 'label tag', run: () => setConversationLabels(c, has ? c.labels.filter((x) => x !== l) : [...c.labels, l]) });
      }
    }
    list.push(
      { id: 'search', title: 'Search all messages and contacts', keywords: 'find', run: () => document.querySelector<HTMLInputElement>('.search input')?.focus() },
      { id: 'show-unread', title: 'Show unread conversations', run: () => setFilter('unread') },
      { id: 'show-archived', title: 'Show archived conversations', run: () => setFilter('archived') },
      { id: 'show-snoozed', title: 'Show snoozed conversations', keywords: 'snooze later', run: () => setFilter('snoozed') },
      { id: 'show-all', title: 'Show all conversations', run: () => setFilter('all') },
      { id: 'lock', title: 'Lock Wicket', hint: keysOf('lock'), keywords: 'app lock passphrase hide', run: () => void lockNow().catch(setError) },
      { id: 'settings', title: 'Open Settings', keywords: 'preferences notifications', run: () => setSettingsOpen(true) },
      { id: 'add-account', title: 'Add an account', keywords: 'wizard meta wasender unipile', run: () => setAdding(true) },
      { id: 'stats', title: 'Show statistics', keywords: 'charts numbers', run: () => setStatsOpen(true) },
      { id: 'bulk', title: 'Bulk send', keywords: 'broadcast campaign', run: () => setBulkOpen(true) },
      { id: 'shortcuts', title: 'Keyboard shortcuts', hint: keysOf('sheet'), run: () => setSheetOpen(true) },
      { id: 'zoom-in', title: 'Zoom in', hint: keysOf('zoom_in'), keywords: 'bigger text larger font', run: () => void stepZoom(1).catch(() => undefined) },
      { id: 'zoom-out', title: 'Zoom out', hint: keysOf('zoom_out'), keywords: 'smaller text', run: () => void stepZoom(-1).catch(() => undefined) },
      { id: 'zoom-reset', title: 'Zoom back to 100 %', hint: keysOf('zoom_reset'), keywords: 'actual size text', run: () => void stepZoom(0).catch(() => undefined) },
    );
    for (const x of ordered(convs)) {
      list.push({ id: `go-${x.id}`, title: `Go to ${x.display_name}`, hint: 'conversation', keywords: `${x.phone ?? ''} ${x.labels.join(' ')}`, run: () => openConversation(x) });
    }
    return list;
  };

  const byId = useMemo(() => new Map((accounts ?? []).map((a) => [a.id, a])), [accounts]);
  const alerts = useAlerts();
  // An account whose trouble is an alert shows the alert (it says what to do) instead of its bare state.
  const alerted = new Set(alerts.filter((a) => STATUS_ALERTS.includes(a.kind)).map((a) => a.account_id));
  const troubled = (accounts ?? []).filter((a) => a.status !== 'ok' && !alerted.has(a.id) && (accountId === null || a.id === accountId));
  const emptyText =
    label !== null ? `No conversations labelled “${label}”.` : filter === 'unread' ? 'No unread conversations.' : filter === 'archived' ? 'Nothing archived.' : filter === 'snoozed' ? 'Nothing snoozed: snooze a chat from its header to hide it until later.' : 'No conversations yet: they appear as customers write.';

  // Starting: an empty shell until the accounts (and, if there are any, the first page of the list) arrive.
  if (!error && (accounts === null || (accounts.length > 0 && !listLoaded && !adding))) {
    return <div class="app app-loading" aria-busy="true" aria-label="Loading the inbox" />;
  }

  // The wizard: on first launch instead of an empty inbox, or from "+ Add account".
  const first = accounts !== null && accounts.length === 0;
  const demoAccount = accounts?.find((a) => a.provider === 'demo');
  if (first || adding) {
    return (
      <>
        <Wizard
          first={first}
          existingDemo={demoAccount?.id ?? null}
          onDone={(id) => {
            setAdding(false);
            // The existing demo, opened again: its inbox.
            if (id !== null && id === demoAccount?.id) setAccountId(id);
            loadAccounts();
            loadList();
          }}
        />
        {vaultDialog}
      </>
    );
  }

  return (
    <div class={`app${open ? ' chat-open' : ''}`}>
      <Announcer />
      <Rail
        accounts={accounts ?? []}
        accountId={accountId}
        filter={filter}
        onAccount={setAccountId}
        onFilter={setFilter}
        onAdd={() => setAdding(true)}
        labels={labels}
        label={label}
        onLabel={setLabel}
        onSettings={() => setSettingsOpen(true)}
        onStats={() => setStatsOpen(true)}
        onBulk={() => setBulkOpen(true)}
        onLock={() => void lockNow().catch(setError)}
      />
      <aside class="list-pane" aria-label="Conversation list">
        {address && addressTrouble(address, accountId) && (
          <PublicAddressBanner status={address} accounts={accounts ?? []} onStatus={setAddress} onError={setError} />
        )}
        <AlertBanners alerts={alerts} accountId={accountId} />
        {troubled.map((a) => (
          <div class="account-banner" role="status" key={a.id}>
            <CircleAlert size={16} aria-hidden="true" />
            <span>
              <strong dir="auto">{a.name}</strong> is {STATUS_TEXT[a.status]}
              {statusSince(a, now)}
              {a.status_reason ? `: ${a.status_reason}` : ''}
            </span>
          </div>
        ))}
        <ConversationList
          conversations={convs}
          selectedId={open?.c.id ?? null}
          now={now}
          query={query}
          hits={hits}
          accounts={accounts ?? []}
          labels={labels}
          searchFilter={searchFilter}
          onSearchFilter={setSearchFilter}
          hasMoreHits={hits !== null && hits.length >= hitLimit && hitLimit < MAX_HITS}
          onMoreHits={() => setHitLimit((n) => Math.min(MAX_HITS, n + HIT_PAGE))}
          emptyText={emptyText}
          hasMore={hasMore}
          onQuery={setQuery}
          onOpen={openConversation}
          onOpenHit={openHit}
          onMore={loadMore}
        />
        {address && <PublicAddressNote status={address} onStatus={setAddress} onError={setError} />}
        <EngineNote info={info} onUnlock={() => setVault((v) => v ?? { exists: null })} />
      </aside>
      <main class="chat-pane">
        {error && (
          <div class="app-error" role="alert">
            <CircleAlert size={16} aria-hidden="true" />
            <span>{error.message}</span>
            <button type="button" class="icon-btn" aria-label="Dismiss" onClick={() => setError(null)}>
              <X size={14} aria-hidden="true" />
            </button>
          </div>
        )}
        {open ? (
          <ChatView
            key={`${open.c.id}-${open.focus ?? ''}`}
            focusMessageId={open.focus ?? null}
            conversation={open.c}
            account={byId.get(open.c.account_id)}
            unreadAtOpen={open.unread}
            now={now}
            onDraft={onDraft}
            onErased={() => setOpen(null)}
            onBack={() => setOpen(null)}
            actions={
              <ConversationActions
                c={open.c}
                labels={labels}
                onAct={(a) => act(a, open.c)}
                onLabels={(l) => setConversationLabels(open.c, l)}
                now={now}
                snoozing={snoozing}
                onSnoozing={setSnoozing}
                onSnooze={(until) => snooze(open.c, until)}
                onUnsnooze={() => unsnooze(open.c)}
              />
            }
          />
        ) : (
          <div class="no-chat">
            <p>Select a conversation to read and answer it.</p>
            <p class="muted">Ctrl+K for every command · Alt+↑/↓ moves through the list · ? shows the shortcuts</p>
          </div>
        )}
      </main>
      {settingsOpen && (
        <Settings onClose={() => setSettingsOpen(false)}>
          <AccountsSettings
            accounts={accounts ?? []}
            onAdd={() => (setSettingsOpen(false), setAdding(true))}
            onChanged={() => {
              loadAccounts();
              loadList();
            }}
          />
          <WebhookSettings accounts={accounts ?? []} status={address} onStatus={setAddress} />
          <ExportImport
            onChanged={() => {
              loadAccounts();
              loadList();
            }}
          />
        </Settings>
      )}
      {paletteOpen && <CommandPalette commands={paletteCommands()} onClose={() => setPaletteOpen(false)} />}
      {sheetOpen && <ShortcutSheet onClose={() => setSheetOpen(false)} />}
      {statsOpen && <StatsView accounts={accounts ?? []} onClose={() => setStatsOpen(false)} />}
      {bulkOpen && <BulkSend accounts={accounts ?? []} accountId={accountId} onClose={() => setBulkOpen(false)} />}
      {vaultDialog}
    </div>
  );
}
