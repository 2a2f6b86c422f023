// The search's filters, shown under the search box while searching: one
// account, one label, a date range and "has media". They narrow the core's
// full-text search (the `search` command's optional arguments).

import { SlidersHorizontal } from 'lucide-preact';
import type { AccountDto } from '../bindings';

export interface SearchFilter {
  accountId: number | null;
  label: string | null;
  /** Dates as the date inputs give them (YYYY-MM-DD, local), or ''. */
  from: string;
  to: string;
  hasMedia: boolean;
}

export const NO_FILTER: SearchFilter = { accountId: null, label: null, from: '', to: '', hasMedia: false };

export const isFiltered = (f: SearchFilter) => f.accountId !== null || f.label !== null || f.from !== '' || f.to !== '' || f.hasMedia;

/** Local midnight of a YYYY-MM-DD date, in Unix ms, `days` later. */
function midnight(date: string, days = 0): number | undefined {
  const [y, m, d] = date.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + days).getTime();
}

/** The `search` command's filter arguments: the "to" day is included whole. */
export function searchArgs(f: SearchFilter) {
  return {
    account_id: f.accountId ?? undefined,
    label: f.label ?? undefined,
    since: f.from ? midnight(f.from) : undefined,
    until: f.to ? midnight(f.to, 1) : undefined,
    has_media: f.hasMedia || undefined,
  };
}

export function SearchFilters({ filter, accounts, labels, onChange }: { filter: SearchFilter; accounts: AccountDto[]; labels: string[]; onChange: (f: SearchFilter) => void }) {
  const set = (change: Partial<SearchFilter>) => onChange({ ...filter, ...change });
  return (
    <fieldset class="search-filters">
      <legend class="sr-only">Search filters</legend>
      <SlidersHorizontal size={14} aria-hidden="true" class="search-filters-icon" />
      {accounts.length > 1 && (
        <select aria-label="Account" value={filter.accountId ?? ''} onChange={(e) => set({ accountId: e.currentTarget.value ? Number(e.currentTarget.value) : null })}>
          <option value="">All accounts</option>
          {accounts.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      )}
      {labels.length > 0 && (
        <select aria-label="Label" value={filter.label ?? ''} onChange={(e) => set({ label: e.currentTarget.value || null })}>
          <option value="">Any label</option>
          {labels.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      )}
      <label class="search-date">
        From
        <input type="date" value={filter.from} max={filter.to || undefined} onChange={(e) => set({ from: e.currentTarget.value })} />
      </label>
      <label class="search-date">
        To
        <input type="date" value={filter.to} min={filter.from || undefined} onChange={(e) => set({ to: e.currentTarget.value })} />
      </label>
      <label class="search-media">
        <input type="checkbox" checked={filter.hasMedia} onChange={(e) => set({ hasMedia: e.currentTarget.checked })} /> Has media
      </label>
      {isFiltered(filter) && (
        <button type="button" class="link-btn" onClick={() => onChange(NO_FILTER)}>
          Clear filters
        </button>
      )}
    </fieldset>
  );
}
