import { AlarmClock, Archive, ChartColumn, Inbox, Layers, Lock, Megaphone, MessageCircle, Plus, Settings as Gear } from 'lucide-preact';
import type { AccountDto, AccountStatus, ListFilter } from '../bindings';
import { clockTime, listTime } from '../format';
import { Avatar } from './Avatar';
import { labelColour } from './ContactPanel';

export const STATUS_TEXT: Record<AccountStatus, string> = {
  ok: 'connected',
  unverified: 'not verified yet',
  needs_token: 'needs a new token',
  retrying: 'reconnecting',
  disconnected: 'disconnected',
  disabled: 'switched off',
};

/** "today 09:12" / "Mon 09:12" / "01/03/2026 09:12". */
function when(ms: number, now: number): string {
  const day = listTime(ms, now);
  return day === clockTime(ms) ? `today ${day}` : `${day} ${clockTime(ms)}`;
}

/** " since Mon 09:12" for an account that is not connected; "" when it is. */
export function statusSince(a: AccountDto, now = Date.now()): string {
  return a.status_since !== null && a.status !== 'ok' ? ` since ${when(a.status_since, now)}` : '';
}

/** The account's status (since when, when it is retrying or down) and its last sync. */
export function accountTitle(a: AccountDto, now = Date.now()): string {
  const since = statusSince(a, now);
  const sync = a.last_sync_at !== null ? ` · last sync ${when(a.last_sync_at, now)}${a.last_sync_result ? `: ${a.last_sync_result}` : ''}` : '';
  return `${a.name}: ${STATUS_TEXT[a.status]}${since}${a.status_reason ? ` (${a.status_reason})` : ''}${sync}`;
}

const FILTERS: { id: ListFilter; label: string; Icon: typeof Inbox }[] = [
  { id: 'all', label: 'All chats', Icon: Inbox },
  { id: 'unread', label: 'Unread', Icon: MessageCircle },
  { id: 'archived', label: 'Archived', Icon: Archive },
  { id: 'snoozed', label: 'Snoozed', Icon: AlarmClock },
];

export interface RailProps {
  accounts: AccountDto[];
  accountId: number | null;
  filter: ListFilter;
  onAccount: (id: number | null) => void;
  onFilter: (f: ListFilter) => void;
  /** Labels in use, and the one the list is filtered by. */
  labels?: string[];
  label?: string | null;
  onLabel?: (label: string | null) => void;
  /** Opens the setup wizard to add another number. */
  onAdd?: () => void;
  /** Opens the Settings panel (preferences and accounts). */
  onSettings?: () => void;
  /** Locks the window (the app lock; Settings → App lock sets its passphrase). */
  onLock?: () => void;
  /** Opens the statistics view. */
  onStats?: () => void;
  /** Opens the bulk screen (one message to many customers). */
  onBulk?: () => void;
}

/** The narrow left rail: accounts (with a status dot) and the list filters. */
export function Rail(p: RailProps) {
  return (
    <nav class="rail" aria-label="Accounts and filters">
      <div class="rail-group" role="group" aria-label="Accounts">
        <button type="button" class="rail-btn" aria-pressed={p.accountId === null} title="All accounts" onClick={() => p.onAccount(null)}>
          <Layers size={20} aria-hidden="true" />
          <span class="rail-label">All</span>
        </button>
        {p.accounts.map((a) => (
          <button
            type="button"
            key={a.id}
            class="rail-btn"
            aria-pressed={p.accountId === a.id}
            title={accountTitle(a)}
            aria-label={accountTitle(a)}
            onClick={() => p.onAccount(a.id)}
          >
            <span class="rail-avatar" aria-hidden="true">
              <Avatar name={a.name} colourKey={a.phone ?? a.name} size={32} />
              <span class={`status-dot status-${a.status}`} aria-hidden="true" />
            </span>
            <span class="rail-label" dir="auto">
              {a.name}
            </span>
          </button>
        ))}
        {p.onAdd && (
          <button type="button" class="rail-btn rail-add" title="Add account" aria-label="Add account" onClick={p.onAdd}>
            <Plus size={20} aria-hidden="true" />
            <span class="rail-label">Add</span>
          </button>
        )}
      </div>
      <div class="rail-group" role="group" aria-label="Filters">
        {FILTERS.map(({ id, label, Icon }) => (
          <button type="button" key={id} class="rail-btn" aria-pressed={p.filter === id} title={label} onClick={() => p.onFilter(id)}>
            <Icon size={20} aria-hidden="true" />
            <span class="rail-label">{label}</span>
          </button>
        ))}
      </div>
      {p.labels && p.labels.length > 0 && p.onLabel && (
        <div class="rail-group" role="group" aria-label="Labels">
          {p.labels.map((l) => (
            <button
              type="button"
              key={l}
              class="rail-btn"
              aria-pressed={p.label === l}
              title={p.label === l ? `Showing “${l}” only: click to show all` : `Only “${l}”`}
              onClick={() => p.onLabel!(p.label === l ? null : l)}
            >
              <span class="label-dot rail-label-dot" style={{ background: labelColour(l) }} aria-hidden="true" />
              <span class="rail-label" dir="auto">
                {l}
              </span>
            </button>
          ))}
        </div>
      )}
      {p.onBulk && (
        <button type="button" class="rail-btn rail-bulk" title="Bulk send" aria-label="Bulk send" onClick={p.onBulk}>
          <Megaphone size={20} aria-hidden="true" />
          <span class="rail-label">Bulk</span>
        </button>
      )}
      {p.onStats && (
        <button type="button" class="rail-btn rail-stats" title="Statistics" aria-label="Statistics" onClick={p.onStats}>
          <ChartColumn size={20} aria-hidden="true" />
          <span class="rail-label">Statistics</span>
        </button>
      )}
      {p.onLock && (
        <button type="button" class="rail-btn rail-lock" title="Lock Wicket (Ctrl+L)" aria-label="Lock Wicket" onClick={p.onLock}>
          <Lock size={20} aria-hidden="true" />
          <span class="rail-label">Lock</span>
        </button>
      )}
      {p.onSettings && (
        <button type="button" class="rail-btn rail-settings" title="Settings" aria-label="Settings" onClick={p.onSettings}>
          <Gear size={20} aria-hidden="true" />
          <span class="rail-label">Settings</span>
        </button>
      )}
    </nav>
  );
}
