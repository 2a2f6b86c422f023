// The command palette (Ctrl+K): every action in one filtered list — go to a
// conversation, search messages, act on the open conversation (archive,
// mark unread, pin, mute, label), open Settings, Statistics or Bulk send,
// add an account, send a template. Arrow keys move, Enter runs, Escape closes.

import { Command as CommandIcon } from 'lucide-preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useEscape } from '../hooks';

export interface PaletteCommand {
  id: string;
  title: string;
  /** Shown on the right: a shortcut or the kind of entry. */
  hint?: string;
  /** Extra words it is found by. */
  keywords?: string;
  run: () => void;
}

/** Accents and case do not matter: "jurgen" finds "Jürgen". */
const fold = (s: string) => s.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

export function CommandPalette({ commands, onClose }: { commands: PaletteCommand[]; onClose: () => void }) {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  useEscape(onClose);
  const shown = useMemo(() => {
    const words = fold(query).split(/\s+/).filter(Boolean);
    return commands.filter((c) => words.every((w) => fold(`${c.title} ${c.keywords ?? ''}`).includes(w))).slice(0, 50);
  }, [commands, query]);
  useEffect(() => setIndex(0), [query]);
  const run = (c: PaletteCommand | undefined) => {
    if (!c) return;
    onClose();
    c.run();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setIndex((i) => Math.min(shown.length - 1, i + 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setIndex((i) => Math.max(0, i - 1));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      run(shown[index]);
    }
  };
  const active = shown[index] ? `palette-${shown[index].id}` : undefined;
  return (
    <div class="settings-backdrop palette-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <div class="palette-input">
          <CommandIcon size={16} aria-hidden="true" />
          <input
            ref={input}
            type="text"
            role="combobox"
            aria-expanded="true"
            aria-controls="palette-list"
            aria-activedescendant={active}
            aria-label="Type a command or a name"
            placeholder="Type a command or a name…"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            onKeyDown={onKey}
          />
        </div>
        <ul id="palette-list" role="listbox" aria-label="Commands" class="palette-list">
          {shown.length === 0 && <li class="muted palette-empty">Nothing matches “{query}”.</li>}
          {shown.map((c, i) => (
            <li
              key={c.id}
              id={`palette-${c.id}`}
              role="option"
              aria-selected={i === index}
              class={i === index ? 'palette-item palette-active' : 'palette-item'}
              onMouseMove={() => setIndex(i)}
              onClick={() => run(c)}
            >
              <span dir="auto">{c.title}</span>
              {c.hint && <kbd class="palette-hint">{c.hint}</kbd>}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
