// The window: the rail, the conversation list and the open chat. It holds
// what the three panes share (accounts, the list, the selection, the clock)
// and keeps it current from the shell's events; nothing here polls.

import { CircleAlert, Cloud, CloudOff, KeyRound, RefreshCw, X } from 'lucide-preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, on, onPassphraseNeeded } from './api';
import type { AccountDto, AppInfo, CommandError, ConversationDto, ListFilter, PublicAddressStatusDto, SearchHitDto } from './bindings';
import { ChatView } from './components/ChatView';
import { ConversationList, ordered } from './components/ConversationList';
import { Rail, STATUS_TEXT, statusSince } from './components/Rail';
import { Settings } from './components/Settings';
import { Wizard } from './components/Wizard';
import { AccountsSettings } from './components/AccountsSettings';
import { BulkSend } from './components/BulkSend';
import { AlertBanners, STATUS_ALERTS, useAlerts } from './components/AlertBanners';
import { StatsView } from './components/StatsView';
import { addressTrouble, PublicAddressBanner, PublicAddressNote } from './components/PublicAddress';
import { VaultDialog } from './components/VaultDialog';

const LIST_PAGE = 100;
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
  const [hasMore, setHasMore] = useState(false);
  const [open, setOpen] = useState<{ c: ConversationDto; unread: number } | null>(null);
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SearchHitDto[] | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<CommandError | null>(null);
  const [adding, setAdding] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [statsOpen, setStatsOpen] = useState(false);
  const [bulkOpen, setBulkOpen] = useState(false);
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
    const stop = on('open-conversation', ({ conversation_id }) => {
      setSettingsOpen(false);
      if (conversation_id === null) {
        setFilter('unread');
        return;
      }
      call('open_conversation', { id: conversation_id })
        .then((c) => {
          setOpen({ c, unread: 0 });
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

  // Search as you type, a little after the last keystroke.
  useEffect(() => {
    if (!query.trim()) {
      setHits(null);
      return;
    }
    const t = window.setTimeout(() => {
      call('search', { query })
        .then(setHits)
        .catch(setError);
    }, 200);
    return () => window.clearTimeout(t);
  }, [query]);

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

  const openHit = (h: SearchHitDto) => {
    const known = convs.find((c) => c.id === h.conversation_id);
    if (known) return openConversation(known);
    call('open_conversation', { id: h.conversation_id })
      .then((c) => setOpen({ c, unread: 0 }))
      .catch(setError);
  };

  const onDraft = useCallback((id: number, text: string) => {
    setConvs((list) => list.map((c) => (c.id === id ? { ...c, draft: text || null } : c)));
  }, []);

  // Keyboard: Ctrl/Cmd+K or Ctrl+F searches; Alt+Up/Down moves through the list.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && (e.key === 'k' || e.key === 'f')) {
        e.preventDefault();
        document.querySelector<HTMLInputElement>('.search input')?.focus();
      } else if (e.altKey && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
        e.preventDefault();
        const list = ordered(convs);
        const i = list.findIndex((c) => c.id === openRef.current?.c.id);
        const next = list[e.key === 'ArrowDown' ? Math.min(list.length - 1, i + 1) : Math.max(0, i - 1)];
        if (next) openConversation(next);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [convs]);

  const byId = useMemo(() => new Map((accounts ?? []).map((a) => [a.id, a])), [accounts]);
  const alerts = useAlerts();
  // An account whose trouble is an alert shows the alert (it says what to do) instead of its bare state.
  const alerted = new Set(alerts.filter((a) => STATUS_ALERTS.includes(a.kind)).map((a) => a.account_id));
  const troubled = (accounts ?? []).filter((a) => a.status !== 'ok' && !alerted.has(a.id) && (accountId === null || a.id === accountId));
  const emptyText =
    label !== null ? `No conversations labelled “${label}”.` : filter === 'unread' ? 'No unread conversations.' : filter === 'archived' ? 'Nothing archived.' : 'No conversations yet: they appear as customers write.';

  // The wizard: on first launch instead of an empty inbox, or from "+ Add account".
  const first = accounts !== null && accounts.length === 0;
  if (first || adding) {
    return (
      <>
        <Wizard
          first={first}
          onDone={() => {
            setAdding(false);
            loadAccounts();
            loadList();
          }}
        />
        {vaultDialog}
      </>
    );
  }

  return (
    <div class="app">
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
          <ChatView key={open.c.id} conversation={open.c} account={byId.get(open.c.account_id)} unreadAtOpen={open.unread} now={now} onDraft={onDraft} onErased={() => setOpen(null)} />
        ) : (
          <div class="no-chat">
            <p>Select a conversation to read and answer it.</p>
            <p class="muted">Ctrl+K searches · Alt+↑/↓ moves through the list</p>
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
        </Settings>
      )}
      {statsOpen && <StatsView accounts={accounts ?? []} onClose={() => setStatsOpen(false)} />}
      {bulkOpen && <BulkSend accounts={accounts ?? []} accountId={accountId} onClose={() => setBulkOpen(false)} />}
      {vaultDialog}
    </div>
  );
}
