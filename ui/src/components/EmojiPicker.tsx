// A small emoji picker: a bundled set (no remote assets, the system's emoji
// font draws them), a name filter, and a grid walked with the arrow keys.
// Enter or a click inserts; Escape closes and gives focus back.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useEscape } from '../hooks';

/** [emoji, name] pairs: what a shop answers with most. */
export const EMOJI: [string, string][] = [
  ['😀', 'grinning'], ['😊', 'smiling'], ['😂', 'laughing'], ['🙂', 'slight smile'], ['😉', 'wink'], ['😍', 'heart eyes'],
  ['🥰', 'smiling hearts'], ['😘', 'kiss'], ['😎', 'cool'], ['🤔', 'thinking'], ['😅', 'sweat smile'], ['😢', 'crying'],
  ['😮', 'surprised'], ['🙄', 'eye roll'], ['😴', 'sleeping'], ['🤗', 'hug'], ['🙏', 'thank you pray'], ['👍', 'thumbs up'],
  ['👎', 'thumbs down'], ['👌', 'ok'], ['👏', 'clap'], ['🙌', 'hooray'], ['👋', 'wave hello'], ['💪', 'strong'],
  ['❤️', 'red heart'], ['💚', 'green heart'], ['💙', 'blue heart'], ['✨', 'sparkles'], ['🎉', 'party'], ['🎂', 'birthday cake'],
  ['🍰', 'cake slice'], ['🧁', 'cupcake'], ['🍞', 'bread'], ['🥐', 'croissant'], ['🥖', 'baguette'], ['🥯', 'bagel'],
  ['🍪', 'cookie'], ['🍩', 'doughnut'], ['☕', 'coffee'], ['🍵', 'tea'], ['🥛', 'milk'], ['🍓', 'strawberry'],
  ['🎁', 'gift'], ['🛍️', 'shopping'], ['📦', 'package'], ['🚲', 'bike delivery'], ['🚚', 'truck delivery'], ['📍', 'location pin'],
  ['🕐', 'clock time'], ['📅', 'calendar date'], ['📞', 'phone call'], ['💬', 'speech'], ['✅', 'done check'], ['❌', 'no cross'],
  ['⚠️', 'warning'], ['❓', 'question'], ['💯', 'hundred'], ['🔥', 'fire'], ['⭐', 'star'], ['🌞', 'sun'],
  ['🌧️', 'rain'], ['❄️', 'snow'], ['💷', 'pound money'], ['💶', 'euro money'],
];

const COLUMNS = 8;

export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const grid = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    return q ? EMOJI.filter(([, name]) => name.includes(q)) : EMOJI;
  }, [filter]);

  useEffect(() => search.current?.focus(), []);
  // Escape closes it wherever the focus is (the picker, or still its button).
  useEscape(onClose);
  useEffect(() => setActive(0), [filter]);

  const focusCell = (i: number) => {
    setActive(i);
    grid.current?.querySelectorAll<HTMLButtonElement>('button')[i]?.focus();
  };

  const onGridKey = (e: KeyboardEvent) => {
    const last = shown.length - 1;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    if (e.key in moves) {
      e.preventDefault();
      const next = active + moves[e.key];
      if (next < 0 && e.key === 'ArrowUp') search.current?.focus();
      else focusCell(Math.max(0, Math.min(last, next)));
    } else if (e.key === 'Home') {
      e.preventDefault();
      focusCell(0);
    } else if (e.key === 'End') {
      e.preventDefault();
      focusCell(last);
    }
  };

  return (
    <div class="emoji-picker" role="dialog" aria-label="Emoji">
      <input
        ref={search}
        type="search"
        class="emoji-search"
        aria-label="Find an emoji"
        placeholder="Find an emoji"
        value={filter}
        onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && shown.length) {
            e.preventDefault();
            focusCell(0);
          } else if (e.key === 'Enter' && shown.length) {
            e.preventDefault();
            onPick(shown[0][0]);
          }
        }}
      />
      {shown.length === 0 ? (
        <p class="emoji-none">No emoji called “{filter}”.</p>
      ) : (
        <div class="emoji-grid" role="group" aria-label="Emoji list" ref={grid} onKeyDown={onGridKey}>
          {shown.map(([emoji, name], i) => (
            <button
              type="button"
              key={emoji}
              class="emoji"
              tabIndex={i === active ? 0 : -1}
              aria-label={name}
              title={name}
              onClick={() => onPick(emoji)}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
