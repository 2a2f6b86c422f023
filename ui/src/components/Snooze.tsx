// Snooze and reminders: the "when" menu (presets: later today, tomorrow
// morning, next week, or a date and time; the core reads the time like
// "Send later" does, in the owner's time zone), the header's Snooze /
// Unsnooze button, the "Remind me" dialog of a message, and the chat's
// pending reminders with Cancel. The core keeps the rules (a time that has
// passed is refused; a customer's message ends a snooze at once).

import { AlarmClock, AlarmClockOff, BellRing, X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ConversationDto, MessageDto, ReminderDto } from '../bindings';
import { localInputValue, scheduledTime, tomorrowAt9 } from '../format';
import { useEscape } from '../hooks';

const HOUR = 3_600_000;

export interface Preset {
  id: string;
  label: string;
  at: number;
}

/** Later today (in three hours, on the hour), tomorrow at 9:00, next Monday at 9:00. */
export function presets(now: number): Preset[] {
  const later = Math.ceil((now + 3 * HOUR) / HOUR) * HOUR;
  const monday = new Date(tomorrowAt9(now));
  // From tomorrow, forward to the next Monday (tomorrow itself when it is one).
  while (monday.getDay() !== 1) monday.setDate(monday.getDate() + 1);
  return [
    { id: 'later', label: 'Later today', at: later },
    { id: 'tomorrow', label: 'Tomorrow morning', at: tomorrowAt9(now) },
    { id: 'next-week', label: 'Next week', at: monday.getTime() },
  ];
}

/** The presets and a date-time input; `onPick` gets RFC 3339 or the input's local value. */
function WhenChoices(p: { now: number; verb: string; onPick: (at: string) => void }) {
  const [custom, setCustom] = useState('');
  const minute = Math.floor(p.now / 60_000) * 60_000;
  return (
    <>
      {presets(p.now).map((preset) => (
        <button type="button" class="send-later-preset" key={preset.id} onClick={() => p.onPick(new Date(preset.at).toISOString())}>
          <span>{preset.label}</span>
          <span class="send-later-when">{scheduledTime(preset.at, p.now)}</span>
        </button>
      ))}
      <form
        class="send-later-custom"
        onSubmit={(e) => {
          e.preventDefault();
          if (custom) p.onPick(custom);
        }}
      >
        <label>
          <span>Pick a date and time</span>
          <input type="datetime-local" value={custom} min={localInputValue(minute + 60_000)} onInput={(e) => setCustom((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" class="btn-primary" disabled={!custom}>
          {p.verb}
        </button>
      </form>
    </>
  );
}

/** The header's Snooze button (a menu of times), or Unsnooze while snoozed. */
export function SnoozeButton(p: { c: ConversationDto; now: number; open: boolean; onOpen: (open: boolean) => void; onSnooze: (until: string) => void; onUnsnooze: () => void }) {
  const menu = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!p.open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        p.onOpen(false);
        toggle.current?.focus();
      }
    };
    const onClick = (e: MouseEvent) => {
      if (!menu.current?.contains(e.target as Node) && !toggle.current?.contains(e.target as Node)) p.onOpen(false);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('mousedown', onClick);
    menu.current?.querySelector<HTMLElement>('button')?.focus();
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('mousedown', onClick);
    };
  }, [p.open]);
  const until = p.c.snoozed_until;
  if (until !== null) {
    const when = scheduledTime(until, p.now);
    return (
      <button type="button" class="icon-btn header-btn" aria-label={`Unsnooze (snoozed until ${when})`} title={`Snoozed until ${when}: bring it back now`} aria-pressed={true} onClick={p.onUnsnooze}>
        <AlarmClockOff size={18} aria-hidden="true" />
      </button>
    );
  }
  return (
    <div class="snooze-menu">
      <button ref={toggle} type="button" class="icon-btn header-btn" aria-label="Snooze" title="Snooze: hide it until a time" aria-haspopup="dialog" aria-expanded={p.open} onClick={() => p.onOpen(!p.open)}>
        <AlarmClock size={18} aria-hidden="true" />
      </button>
      {p.open && (
        <div ref={menu} class="send-later-menu snooze-popover" role="dialog" aria-label="Snooze until">
          <p class="send-later-title">Snooze until…</p>
          <WhenChoices now={p.now} verb="Snooze" onPick={p.onSnooze} />
          <p class="send-later-note">It leaves the list until then, and comes back at once if {p.c.display_name} writes.</p>
        </div>
      )}
    </div>
  );
}

/** "Remind me" about one message: when, and a few words. */
export function RemindDialog(p: { m: MessageDto; now: number; onRemind: (at: string, note: string) => void; onClose: () => void }) {
  const [note, setNote] = useState('');
  const box = useRef<HTMLDivElement>(null);
  useEscape(p.onClose);
  useEffect(() => box.current?.querySelector<HTMLElement>('input')?.focus(), []);
  const text = p.m.text ?? p.m.caption ?? p.m.kind;
  return (
    <div class="settings-backdrop" onClick={(e) => e.target === e.currentTarget && p.onClose()}>
      <div ref={box} class="send-later-menu remind-dialog" role="dialog" aria-modal="true" aria-label="Remind me">
        <p class="send-later-title">Remind me about</p>
        <p class="remind-quote" dir="auto">
          {text}
        </p>
        <label class="remind-note">
          <span>Note (optional)</span>
          <input type="text" value={note} placeholder="Call back about the order" onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        <WhenChoices now={p.now} verb="Remind me" onPick={(at) => p.onRemind(at, note)} />
        <button type="button" class="link-btn" onClick={p.onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The chat's pending reminders, soonest first, above the composer. */
export function RemindersList({ items, now, onCancel, onShow }: { items: ReminderDto[]; now: number; onCancel: (r: ReminderDto) => void; onShow: (r: ReminderDto) => void }) {
  if (items.length === 0) return null;
  return (
    <section class="reminders" aria-label="Reminders">
      <h3 class="reminder-title">
        <BellRing size={14} aria-hidden="true" /> Reminders ({items.length})
      </h3>
      <ul>
        {items.map((r) => {
          const when = scheduledTime(r.remind_at, now);
          return (
            <li class="reminder-item" key={r.id} data-reminder-id={r.id}>
              <time class="reminder-when" dateTime={new Date(r.remind_at).toISOString()}>
                {when}
              </time>
              <button type="button" class="link-btn reminder-text" dir="auto" title="Show the message" onClick={() => onShow(r)}>
                {r.note || r.preview || 'a message'}
              </button>
              <button type="button" class="link-btn reminder-cancel" aria-label={`Cancel the reminder for ${when}`} onClick={() => onCancel(r)}>
                <X size={14} aria-hidden="true" /> Cancel
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
