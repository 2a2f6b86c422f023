// Find in the open conversation (Ctrl+F): the query, "3 of 12", next and
// previous (Enter, Shift+Enter), Escape closes. ChatView runs the search and
// brings each match into view.

import { ChevronDown, ChevronUp, X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';

export function FindBar(p: { query: string; count: number; index: number; onQuery: (q: string) => void; onStep: (by: 1 | -1) => void; onClose: () => void }) {
  const [text, setText] = useState(p.query);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  // Searched a little after the last keystroke.
  useEffect(() => {
    if (text === p.query) return;
    const t = window.setTimeout(() => p.onQuery(text), 200);
    return () => window.clearTimeout(t);
  }, [text]);
  const status = !text.trim() ? '' : p.count === 0 ? (text === p.query ? 'No match' : '') : `${p.index + 1} of ${p.count}`;
  return (
    <div class="find-bar" role="search" aria-label="Find in this conversation">
      <input
        ref={input}
        type="search"
        aria-label="Find in this conversation"
        placeholder="Find in this conversation"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            if (text !== p.query) p.onQuery(text);
            else p.onStep(e.shiftKey ? -1 : 1);
          } else if (e.key === 'Escape') {
            e.preventDefault();
            e.stopPropagation();
            p.onClose();
          }
        }}
      />
      <span class="find-count" role="status" aria-live="polite">
        {status}
      </span>
      <button type="button" class="icon-btn" aria-label="Newer match" disabled={p.count === 0} onClick={() => p.onStep(-1)}>
        <ChevronUp size={16} aria-hidden="true" />
      </button>
      <button type="button" class="icon-btn" aria-label="Older match" disabled={p.count === 0} onClick={() => p.onStep(1)}>
        <ChevronDown size={16} aria-hidden="true" />
      </button>
      <button type="button" class="icon-btn" aria-label="Close find" onClick={p.onClose}>
        <X size={16} aria-hidden="true" />
      </button>
    </div>
  );
}
