// "Send later": a small menu beside Send with presets (in 1 hour, tomorrow
// at 9:00) and a date-time input. The core checks the time (the owner's time
// zone for the input's local value) and, for Meta, that the customer-service
// window is still open then; a preset past the window's end is offered
// disabled with the reason, so the owner sees it before asking.

import { CalendarClock } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { localInputValue, scheduledTime, tomorrowAt9 } from '../format';

const HOUR = 3_600_000;

export interface SendLaterProps {
  now: number;
  /** When Meta's window closes (free text refused after it), if the account has one. */
  windowEnds: number | null;
  /** Why nothing can be scheduled now (no text, attachments…), or null. */
  blocked: string | null;
  /** Schedules the composer's text; `sendAt` is RFC 3339 or the input's local value. */
  onSchedule: (sendAt: string) => Promise<boolean>;
  /** The button's and the menu's name (default "Send later"). */
  label?: string;
  /** What the menu's title calls the thing scheduled (default "this message"). */
  what?: string;
}

export function SendLater(p: SendLaterProps) {
  const name = p.label ?? 'Send later';
  const [open, setOpen] = useState(false);
  const [custom, setCustom] = useState('');
  const menu = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);

  // Escape or a click outside closes it; focus goes back to the button.
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        setOpen(false);
        toggle.current?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !toggle.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('mousedown', onClick);
    menu.current?.querySelector<HTMLElement>('button:not(:disabled), input')?.focus();
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const minute = Math.floor(p.now / 60_000) * 60_000;
  const presets = [
    { label: 'In 1 hour', at: minute + HOUR },
    { label: 'Tomorrow at 9:00', at: tomorrowAt9(p.now) },
  ];
  const closedBy = (at: number) => p.windowEnds !== null && at >= p.windowEnds;

  const schedule = async (sendAt: string) => {
    if (await p.onSchedule(sendAt)) {
      setOpen(false);
      setCustom('');
    }
  };

  return (
    <div class="send-later">
      <button
        ref={toggle}
        type="button"
        class="icon-btn composer-btn"
        aria-label={name}
        title={p.blocked ?? name}
        aria-haspopup="dialog"
        aria-expanded={open}
        disabled={p.blocked !== null}
        onClick={() => setOpen((v) => !v)}
      >
        <CalendarClock size={20} aria-hidden="true" />
      </button>
      {open && (
        <div ref={menu} class="send-later-menu" role="dialog" aria-label={name}>
          <p class="send-later-title">Send {p.what ?? 'this message'} later</p>
          {presets.map((preset) => (
            <button
              type="button"
              class="send-later-preset"
              key={preset.label}
              disabled={closedBy(preset.at)}
              onClick={() => void schedule(new Date(preset.at).toISOString())}
            >
              <span>{preset.label}</span>
              <span class="send-later-when">{closedBy(preset.at) ? 'window closed by then' : scheduledTime(preset.at, p.now)}</span>
            </button>
          ))}
          <form
            class="send-later-custom"
            onSubmit={(e) => {
              e.preventDefault();
              if (custom) void schedule(custom);
            }}
          >
            <label>
              <span>Pick a date and time</span>
              <input type="datetime-local" value={custom} min={localInputValue(minute + 60_000)} onInput={(e) => setCustom((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit" class="btn-primary" disabled={!custom}>
              Schedule
            </button>
          </form>
          {p.windowEnds !== null && (
            <p class="send-later-note">The customer-service window closes {scheduledTime(p.windowEnds, p.now)}: after that only a template can be sent.</p>
          )}
        </div>
      )}
    </div>
  );
}
