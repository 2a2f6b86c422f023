// The composer's quick reply menu: typing `/` at the start of a word lists
// the saved answers whose shortcut (then text) matches what follows, the
// placeholders shown unfilled. The composer owns the keys (arrows, Enter,
// Escape); a click picks too.

import { Paperclip, Zap } from 'lucide-preact';
import type { QuickReplyDto } from '../bindings';

const MAX_SHOWN = 8;

/** The `/word` ending at `caret` (at the start of the text or after a space), or null. */
export function slashWord(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|\s)\/([\p{L}\p{N}_-]*)$/u.exec(text.slice(0, caret));
  if (!m) return null;
  return { start: m.index + m[1].length, query: m[2] };
}

/** Shortcuts starting with the query first, then those containing it, then texts containing it. */
export function quickReplyMatches(all: QuickReplyDto[], query: string): QuickReplyDto[] {
  const q = query.toLowerCase();
  const starts = all.filter((r) => r.shortcut.toLowerCase().startsWith(q));
  const contains = all.filter((r) => !starts.includes(r) && r.shortcut.toLowerCase().includes(q));
  const inText = q ? all.filter((r) => !starts.includes(r) && !contains.includes(r) && r.text.toLowerCase().includes(q)) : [];
  return [...starts, ...contains, ...inText].slice(0, MAX_SHOWN);
}

export interface QuickReplyMenuProps {
  query: string;
  matches: QuickReplyDto[];
  active: number;
  onHover: (i: number) => void;
  onPick: (q: QuickReplyDto) => void;
}

export function QuickReplyMenu(p: QuickReplyMenuProps) {
  return (
    <div class="quick-replies" id="quick-reply-menu">
      <p class="quick-replies-head">
        <Zap size={14} aria-hidden="true" /> Quick replies
        <span class="quick-replies-keys">↑↓ to choose · Enter to insert · Esc to close</span>
      </p>
      {p.matches.length === 0 ? (
        <p class="quick-replies-none" role="status">
          No quick reply matches /{p.query}. Add them in Settings → Quick replies.
        </p>
      ) : (
        <ul role="listbox" aria-label="Quick replies">
          {p.matches.map((q, i) => (
            <li
              key={q.id}
              id={`quick-reply-${q.id}`}
              role="option"
              aria-selected={i === p.active}
              class={`quick-reply${i === p.active ? ' active' : ''}`}
              onMouseEnter={() => p.onHover(i)}
              onMouseDown={(e) => {
                e.preventDefault(); // keep the focus in the composer
                p.onPick(q);
              }}
            >
              <span class="quick-reply-shortcut">/{q.shortcut}</span>
              <span class="quick-reply-text" dir="auto">
                {q.text}
              </span>
              {q.file_name && (
                <span class="quick-reply-file">
                  <Paperclip size={12} aria-hidden="true" /> {q.file_name}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
