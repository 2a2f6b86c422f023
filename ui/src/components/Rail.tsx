import { Archive, Inbox, Layers, MessageCircle, Plus, Settings as Gear } from 'lucide-preact';
import type { AccountDto, AccountStatus, ListFilter } from '../bindings';
import { Avatar } from './Avatar';

export const STATUS_TEXT: Record<AccountStatus, string> = {
  ok: 'connected',
  unverified: 'not verified yet',
  needs_token: 'needs a new token',
  retrying: 'reconnecting',
  disconnected: 'disconnected',
  disabled: 'switched off',
};

export function accountTitle(a: AccountDto): string {
  return `${a.name}: ${STATUS_TEXT[a.status]}${a.status_reason ? ` (${a.status_reason})` : ''}`;
}

const FILTERS: { id: ListFilter; label: string; Icon: typeof Inbox }[] = [
  { id: 'all', label: 'All chats', Icon: Inbox },
  { id: 'unread', label: 'Unread', Icon: MessageCircle },
  { id: 'archived', label: 'Archived', Icon: Archive },
];

export interface RailProps {
  accounts: AccountDto[];
  accountId: number | null;
  filter: ListFilter;
  onAccount: (id: number | null) => void;
  onFilter: (f: ListFilter) => void;
  /** Opens the setup wizard to add another number. */
  onAdd?: () => void;
  /** Opens the Settings panel (preferences and accounts). */
  onSettings?: () => void;
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
            <span class="rail-avatar">
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
      {p.onSettings && (
        <button type="button" class="rail-btn rail-settings" title="Settings" aria-label="Settings" onClick={p.onSettings}>
          <Gear size={20} aria-hidden="true" />
          <span class="rail-label">Settings</span>
        </button>
      )}
    </nav>
  );
}
