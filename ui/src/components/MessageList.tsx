// The chat's message list, virtualized: only the rows near the viewport are
// in the DOM (a few dozen, whatever the conversation's length), each placed
// at its offset; heights are estimated until a row has been measured.
//
// Scrolling stays put while things change above the viewport (older pages
// arriving, rows measured, images' fixed-ratio boxes): the row at the top of
// the viewport is the anchor and keeps its position on screen. At the bottom,
// the list sticks to the bottom as messages arrive.

import { ArrowDown } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { MessageDto } from '../bindings';
import { dayKey, dayLabel, sameDay } from '../format';
import { Bubble, type BubbleActions } from './Bubble';

type Row =
  | { key: string; type: 'day'; ts: number }
  | { key: string; type: 'new'; count: number }
  | { key: string; type: 'msg'; m: MessageDto };

const OVERSCAN = 600; // px rendered above and below the viewport
const LOAD_OLDER_AT = 800; // px from the top

function estimate(r: Row): number {
  if (r.type !== 'msg') return 40;
  const m = r.m;
  let h = 44;
  const text = m.text ?? m.caption ?? '';
  h += 20 * Math.max(0, Math.ceil(text.length / 55) - 1 + (text.match(/\n/g)?.length ?? 0));
  if (m.kind === 'image' || m.kind === 'video') h += 200;
  if (m.kind === 'sticker') h += 140;
  if (['audio', 'voice', 'document', 'location', 'contacts'].includes(m.kind)) h += 44;
  if (m.is_reply) h += 44;
  if (m.reactions.length) h += 24;
  if (m.status === 'failed') h += 24;
  return h;
}

function buildRows(messages: MessageDto[], newBeforeId: number | null, newCount: number): Row[] {
  const rows: Row[] = [];
  let prev: MessageDto | null = null;
  for (const m of messages) {
    if (!prev || !sameDay(prev.timestamp, m.timestamp)) rows.push({ key: `day-${dayKey(m.timestamp)}`, type: 'day', ts: m.timestamp });
    if (m.id === newBeforeId) rows.push({ key: 'new', type: 'new', count: newCount });
    rows.push({ key: `m${m.id}`, type: 'msg', m });
    prev = m;
  }
  return rows;
}

/** The index of the last row starting at or before `y`. */
function rowAt(offsets: number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}

/** One positioned row, measured while it is in the DOM. */
function VRow({ rowKey, top, observer, children }: { rowKey: string; top: number; observer: ResizeObserver; children: ComponentChildren }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    observer.observe(el);
    return () => observer.unobserve(el);
  }, [observer]);
  return (
    <div ref={ref} data-key={rowKey} class="vrow" style={{ transform: `translateY(${top}px)` }}>
      {children}
    </div>
  );
}

export interface MessageListProps {
  messages: MessageDto[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  /** Opened at a message: newer messages wait below. */
  hasNewer?: boolean;
  loadingNewer?: boolean;
  onLoadNewer?: () => void;
  /** A message to bring into view and highlight (a search match). */
  focusId?: number | null;
  /** Where the "N new messages" divider goes (the first unread message). */
  newBeforeId: number | null;
  newCount: number;
  now: number;
  isGroup: boolean;
  /** The contact's display name, for quotes of their messages. */
  peerName: string;
  onReply: (m: MessageDto) => void;
  /** The message chosen with the arrow keys (the reply shortcut answers it), or null. */
  onSelect?: (m: MessageDto | null) => void;
  /** Retry a failed send or download, open a file. */
  actions: BubbleActions;
}

export function MessageList(p: MessageListProps) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measured, setMeasured] = useState(0); // bumps when a height changes
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const atBottom = useRef(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  const [showJump, setShowJump] = useState(false);
  // The message chosen with the arrow keys, and whether it should take the focus once rendered.
  const [sel, setSel] = useState<number | null>(null);
  const focusSel = useRef(false);

  const rows = useMemo(() => buildRows(p.messages, p.newBeforeId, p.newCount), [p.messages, p.newBeforeId, p.newCount]);
  const offsets = useMemo(() => {
    const o = new Array<number>(rows.length + 1);
    o[0] = 0;
    for (let i = 0; i < rows.length; i++) o[i + 1] = o[i] + (heights.current.get(rows[i].key) ?? estimate(rows[i]));
    return o;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, measured]);
  const total = offsets[rows.length];
  const indexOf = useMemo(() => new Map(rows.map((r, i) => [r.key, i])), [rows]);

  const first = rowAt(offsets, Math.max(0, scrollTop - OVERSCAN));
  const last = Math.min(rows.length - 1, rowAt(offsets, scrollTop + viewport + OVERSCAN));
  const visible = rows.slice(first, last + 1);

  const remember = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    setShowJump(!atBottom.current);
    // The first message at the top of the view (separators move when older
    // messages of the same day arrive; messages do not).
    let i = rowAt(offsets, el.scrollTop);
    while (i < rows.length - 1 && rows[i].type !== 'msg') i++;
    anchor.current = rows[i] ? { key: rows[i].key, delta: el.scrollTop - offsets[i] } : null;
  }, [offsets, rows]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    remember();
    if (el.scrollTop < LOAD_OLDER_AT && p.hasOlder && !p.loadingOlder) p.onLoadOlder();
    if (el.scrollHeight - el.scrollTop - el.clientHeight < LOAD_OLDER_AT && p.hasNewer && !p.loadingNewer) p.onLoadNewer?.();
  };

  // A match to show: its row a third down the view, not stuck to the bottom.
  useLayoutEffect(() => {
    if (p.focusId == null) return;
    const el = scroller.current;
    const i = indexOf.get(`m${p.focusId}`);
    if (!el || i === undefined) return;
    atBottom.current = false;
    anchor.current = { key: `m${p.focusId}`, delta: -Math.round(el.clientHeight / 3) };
    el.scrollTop = Math.max(0, offsets[i] - el.clientHeight / 3);
    setScrollTop(el.scrollTop);
    setShowJump(true);
  }, [p.focusId, indexOf]);

  // After every layout change: stick to the bottom, or keep the anchor row still.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (anchor.current) {
      const i = indexOf.get(anchor.current.key);
      if (i !== undefined) {
        const want = offsets[i] + anchor.current.delta;
        if (Math.abs(el.scrollTop - want) > 0.5) el.scrollTop = want;
      }
    }
    setScrollTop(el.scrollTop);
  }, [offsets, indexOf]);

  // Measure rendered rows; a changed height re-lays the list out.
  const observer = useMemo(
    () =>
      new ResizeObserver((entries) => {
        let changed = false;
        for (const e of entries) {
          const key = (e.target as HTMLElement).dataset.key;
          if (!key) continue;
          const h = Math.round((e.target as HTMLElement).offsetHeight);
          if (h > 0 && heights.current.get(key) !== h) {
            heights.current.set(key, h);
            changed = true;
          }
        }
        if (changed) setMeasured((n) => n + 1);
      }),
    [],
  );
  useEffect(() => () => observer.disconnect(), [observer]);

  // The viewport's own height (window resizes).
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    setViewport(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  // A short conversation that does not fill the view: fetch older at once.
  useEffect(() => {
    if (total < viewport && p.hasOlder && !p.loadingOlder) p.onLoadOlder();
  }, [total, viewport, p.hasOlder, p.loadingOlder]);

  // The arrow keys walk the messages (Home and End: the first and last loaded); Escape goes back to the log.
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const el = scroller.current;
    if (!el) return;
    if (e.key === 'Escape' && sel !== null) {
      setSel(null);
      p.onSelect?.(null);
      el.focus();
      e.stopPropagation();
      return;
    }
    if (!['ArrowUp', 'ArrowDown', 'Home', 'End'].includes(e.key)) return;
    const msgs = rows.map((r, i) => [r, i] as const).filter(([r]) => r.type === 'msg');
    if (msgs.length === 0) return;
    const at = sel === null ? -1 : msgs.findIndex(([r]) => r.type === 'msg' && r.m.id === sel);
    let to: number;
    if (e.key === 'Home') to = 0;
    else if (e.key === 'End') to = msgs.length - 1;
    else if (at < 0) {
      // Nothing chosen yet: start from the last (Up) or first (Down) message in view.
      const inView = msgs.filter(([, i]) => offsets[i + 1] > el.scrollTop && offsets[i] < el.scrollTop + el.clientHeight);
      const start = e.key === 'ArrowUp' ? inView[inView.length - 1] : inView[0];
      to = start ? msgs.indexOf(start) : msgs.length - 1;
    } else to = Math.max(0, Math.min(msgs.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)));
    e.preventDefault();
    if (e.key === 'ArrowUp' && at === 0 && p.hasOlder && !p.loadingOlder) p.onLoadOlder();
    const [row, i] = msgs[to];
    if (row.type !== 'msg') return;
    // Bring it into view: scroll only as far as needed.
    if (offsets[i] < el.scrollTop) el.scrollTop = offsets[i];
    else if (offsets[i + 1] > el.scrollTop + el.clientHeight) el.scrollTop = offsets[i + 1] - el.clientHeight;
    setScrollTop(el.scrollTop);
    remember();
    focusSel.current = true;
    setSel(row.m.id);
    p.onSelect?.(row.m);
  };

  // The chosen message takes the focus once its row is rendered (it may have just scrolled in).
  useLayoutEffect(() => {
    if (!focusSel.current || sel === null) return;
    const row = scroller.current?.querySelector<HTMLElement>(`[data-sel="${sel}"]`);
    if (row) {
      focusSel.current = false;
      row.focus({ preventScroll: true });
    }
  });

  const jump = () => {
    const el = scroller.current;
    if (!el) return;
    // Opened at a match: the newest messages are not loaded yet.
    if (p.hasNewer) p.onLoadNewer?.();
    atBottom.current = true;
    el.scrollTop = el.scrollHeight;
  };

  return (
    <div class="messages-wrap">
      {p.loadingOlder && <div class="loading-older">Loading older messages…</div>}
      {/* Not a live region itself: rows come and go as the list scrolls. New messages are announced by the app's live region. */}
      <div class="messages" ref={scroller} onScroll={onScroll} onKeyDown={onKeyDown} role="log" aria-live="off" aria-label="Messages" tabIndex={0}>
        <div class="messages-canvas" style={{ height: `${total}px` }}>
          {visible.map((r) => (
            <VRow key={r.key} rowKey={r.key} top={offsets[indexOf.get(r.key)!]} observer={observer}>
              {r.type === 'day' && (
                <div class="day-sep" role="separator">
                  <span>{dayLabel(r.ts, p.now)}</span>
                </div>
              )}
              {r.type === 'new' && (
                <div class="new-sep" role="separator">
                  <span>
                    {r.count} new message{r.count === 1 ? '' : 's'}
                  </span>
                </div>
              )}
              {r.type === 'msg' && (
                <div
                  class={[r.m.id === p.focusId ? 'found' : '', r.m.id === sel ? 'selected' : ''].join(' ').trim() || undefined}
                  data-sel={r.m.id}
                  tabIndex={r.m.id === sel ? 0 : -1}
                  onFocus={() => {
                    if (sel !== r.m.id) {
                      setSel(r.m.id);
                      p.onSelect?.(r.m);
                    }
                  }}
                >
                  <Bubble m={r.m} peer={p.peerName} onReply={p.onReply} groupSender={p.isGroup} actions={p.actions} />
                </div>
              )}
            </VRow>
          ))}
        </div>
      </div>
      {showJump && (
        <button type="button" class="jump" aria-label="Jump to the newest message" onClick={jump}>
          <ArrowDown size={18} aria-hidden="true" />
        </button>
      )}
    </div>
  );
}
