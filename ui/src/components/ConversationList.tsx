import { useRef } from 'preact/hooks';
import { AlarmClock, BadgeCheck, BellOff, Contact, FileText, Image, Lock, MapPin, Mic, Pin, Search, Sticker, Video, X } from 'lucide-preact';
import { pictureUrl } from '../api';
import type { AccountDto, ConversationDto, SearchHitDto } from '../bindings';
import { isFiltered, SearchFilters, type SearchFilter } from './SearchFilters';
import { listTime, scheduledTime } from '../format';
import { Avatar } from './Avatar';
import { summary } from './Bubble';
import { labelColour } from './ContactPanel';

// The shell's `last_text` is the message's kind when it has no text or
// caption: those previews get the kind's icon and name.
const MEDIA_PREVIEW: Record<string, typeof Image> = {
  image: Image,
  video: Video,
  sticker: Sticker,
  audio: Mic,
  voice: Mic,
  document: FileText,
  location: MapPin,
  contacts: Contact,
};

function Preview({ text }: { text: string | null }) {
  const Icon = text ? MEDIA_PREVIEW[text] : undefined;
  if (!Icon) return <>{text ?? ''}</>;
  return (
    <>
      <Icon class="preview-icon" size={14} aria-hidden="true" /> {summary(text!, null)}
    </>
  );
}

/** Pinned first; otherwise the order the shell gave (the store already puts
 * pinned rows first; this keeps rows changed by events in place). */
export function ordered(list: ConversationDto[]): ConversationDto[] {
  return [...list.filter((c) => c.pinned), ...list.filter((c) => !c.pinned)];
}

function Row({ c, selected, now, onOpen }: { c: ConversationDto; selected: boolean; now: number; onOpen: (c: ConversationDto) => void }) {
  const unread = c.unread_count > 0;
  const draft = !selected && c.draft;
  return (
    <li>
      <button
        type="button"
        class={`conv${unread ? ' unread' : ''}`}
        aria-current={selected ? 'true' : undefined}
        data-conversation-id={c.id}
        onClick={() => onOpen(c)}
      >
        <Avatar name={c.display_name} colourKey={c.avatar_key} src={c.has_picture ? pictureUrl(c.contact_id) : null} />
        <span class="conv-main">
          <span class="conv-top">
            <span class="conv-name" dir="auto">
              {c.display_name}
            </span>
            {c.verified && <BadgeCheck class="badge-verified" size={14} aria-label="Verified business" />}
            {c.snoozed_until !== null ? (
              // In the Snoozed view: when it comes back, instead of its last activity.
              <span class="conv-time conv-snoozed" title="Snoozed until then">
                <AlarmClock size={11} aria-hidden="true" /> {scheduledTime(c.snoozed_until, now)}
              </span>
            ) : (
              <span class="conv-time">{c.last_activity_at ? listTime(c.last_activity_at, now) : ''}</span>
            )}
          </span>
          <span class="conv-bottom">
            <span class="conv-preview" dir="auto">
              {draft ? (
                <>
                  <em class="draft">Draft:</em> {c.draft}
                </>
              ) : (
                <Preview text={c.last_text} />
              )}
            </span>
            {c.labels.length > 0 && (
              <span class="conv-labels" aria-label={`Labels: ${c.labels.join(', ')}`}>
                {c.labels.map((l) => (
                  <span class="label-dot" key={l} title={l} style={{ background: labelColour(l) }} />
                ))}
              </span>
            )}
            {c.muted && <BellOff class="conv-icon" size={14} aria-label="Muted" />}
            {c.pinned && <Pin class="conv-icon" size={14} aria-label="Pinned" />}
            {unread && (
              <span class="pill" aria-label={`${c.unread_count} unread`}>
                {c.unread_count}
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

export interface ConversationListProps {
  conversations: ConversationDto[];
  selectedId: number | null;
  now: number;
  query: string;
  hits: SearchHitDto[] | null;
  emptyText: string;
  hasMore: boolean;
  onQuery: (q: string) => void;
  onOpen: (c: ConversationDto) => void;
  onOpenHit: (h: SearchHitDto) => void;
  onMore: () => void;
  /** The search's filters (shown while searching) and more results on scroll. */
  accounts?: AccountDto[];
  labels?: string[];
  searchFilter?: SearchFilter;
  onSearchFilter?: (f: SearchFilter) => void;
  hasMoreHits?: boolean;
  onMoreHits?: () => void;
}

/** Hits grouped by conversation, the group with the newest hit first (hits stay newest first inside). */
export function groupHits(hits: SearchHitDto[]): { key: string; name: string; hits: SearchHitDto[] }[] {
  const groups = new Map<string, { key: string; name: string; hits: SearchHitDto[] }>();
  for (const h of hits) {
    const key = h.conversation_id ? `c${h.conversation_id}` : `n${h.note_id}`;
    const g = groups.get(key) ?? { key, name: h.display_name, hits: [] };
    g.hits.push(h);
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** The arrow keys walk the list (or the results): Up and Down, Home and End; Down in the search box enters it. */
function moveFocus(from: HTMLElement, key: string, root: HTMLElement | null): boolean {
  const items = [...(root?.querySelectorAll<HTMLButtonElement>('.conv, .hit:not(:disabled)') ?? [])];
  if (items.length === 0) return false;
  const at = items.indexOf(from as HTMLButtonElement);
  const to =
    key === 'Home' ? 0 : key === 'End' ? items.length - 1 : key === 'ArrowDown' ? Math.min(items.length - 1, at + 1) : at < 0 ? -1 : Math.max(0, at - 1);
  if (to < 0) return false;
  items[to].focus();
  items[to].scrollIntoView({ block: 'nearest' });
  return true;
}

export function ConversationList(p: ConversationListProps) {
  const scroll = useRef<HTMLDivElement>(null);
  const onListKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey || !['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    if (moveFocus(e.target as HTMLElement, e.key, scroll.current)) e.preventDefault();
  };
  const onSearchKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' && !e.altKey && moveFocus(e.target as HTMLElement, 'Home', scroll.current)) e.preventDefault();
  };
  const onScroll = (e: Event) => {
    const el = e.currentTarget as HTMLElement;
    const nearEnd = el.scrollHeight - el.scrollTop - el.clientHeight < 200;
    if (!nearEnd) return;
    if (p.hits) {
      if (p.hasMoreHits) p.onMoreHits?.();
    } else if (p.hasMore) p.onMore();
  };
  return (
    <div class="list-pane-body">
      <div class="search">
        <Search size={16} aria-hidden="true" />
        <input
          type="search"
          aria-label="Search messages and contacts"
          placeholder="Search"
          value={p.query}
          onInput={(e) => p.onQuery((e.target as HTMLInputElement).value)}
          onKeyDown={onSearchKey}
        />
        {p.query && (
          <button type="button" class="icon-btn" aria-label="Clear the search" onClick={() => p.onQuery('')}>
            <X size={14} aria-hidden="true" />
          </button>
        )}
      </div>
      {p.hits !== null && p.searchFilter && p.onSearchFilter && (
        <SearchFilters filter={p.searchFilter} accounts={p.accounts ?? []} labels={p.labels ?? []} onChange={p.onSearchFilter} />
      )}
      <div class="list-scroll" ref={scroll} onScroll={onScroll} onKeyDown={onListKey}>
        {p.hits ? (
          p.hits.length === 0 ? (
            <p class="empty">
              No messages or contacts match “{p.query}”{p.searchFilter && isFiltered(p.searchFilter) ? ' with these filters' : ''}.
            </p>
          ) : (
            <ul class="hits" aria-label="Search results">
              {groupHits(p.hits).map((g) => (
                <li key={g.key} class="hit-group">
                  <div class="hit-group-head" id={`hg-${g.key}`}>
                    <span class="conv-name" dir="auto">
                      {g.name}
                    </span>
                    <span class="hit-count">
                      {g.hits.length} {g.hits.length === 1 ? 'result' : 'results'}
                    </span>
                  </div>
                  <ul aria-labelledby={`hg-${g.key}`}>
                    {g.hits.map((h) => (
                      <li key={h.note_id !== null ? `note-${h.note_id}` : h.message_id}>
                        <button
                          type="button"
                          class={`hit${h.kind === 'note' ? ' hit-note' : ''}`}
                          // A note on a contact who has no conversation yet has nowhere to open.
                          disabled={h.conversation_id === 0}
                          title={h.conversation_id === 0 ? 'A note on a contact without a conversation yet' : undefined}
                          onClick={() => p.onOpenHit(h)}
                        >
                          <span class="conv-top">
                            <span class="conv-preview" dir="auto">
                              {h.kind === 'note' && (
                                <span class="hit-note-tag">
                                  <Lock size={12} aria-hidden="true" /> Private note:{' '}
                                </span>
                              )}
                              <Highlighted text={h.snippet} query={p.query} />
                            </span>
                            <span class="conv-time">{listTime(h.timestamp, p.now)}</span>
                          </span>
                        </button>
                      </li>
                    ))}
                  </ul>
                </li>
              ))}
              {p.hasMoreHits && <li class="muted hits-more">Scroll for more results…</li>}
            </ul>
          )
        ) : p.conversations.length === 0 ? (
          <p class="empty">{p.emptyText}</p>
        ) : (
          <ul class="convs" aria-label="Conversations">
            {ordered(p.conversations).map((c) => (
              <Row key={c.id} c={c} selected={c.id === p.selectedId} now={p.now} onOpen={p.onOpen} />
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

/** Folds case and accents, as the core's search does ("jurgen" finds "Jürgen"). */
const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

/** `text` with each word that starts with a query word marked. */
export function Highlighted({ text, query }: { text: string; query: string }) {
  const words = fold(query).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  if (words.length === 0) return <>{text}</>;
  const parts = text.split(/([\p{L}\p{N}]+)/u);
  return (
    <>
      {parts.map((part, i) => (words.some((w) => fold(part).startsWith(w)) ? <mark key={i}>{part}</mark> : part))}
    </>
  );
}
