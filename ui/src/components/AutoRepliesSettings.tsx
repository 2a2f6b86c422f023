// Settings → Opening hours and automatic replies: the hours of each weekday,
// holidays, the away message (sent once per closed period to a customer who
// writes while closed) and the greeting (to a first-time customer). Every
// change is applied at once through `set_auto_replies`; the core checks it
// and answers with what it stored (or why not, shown here, the change kept
// in the form to fix). The same settings as `wicket settings set opening_hours …`.

import { Plus, Trash2, X } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { AutoRepliesDto, CommandError, DayHoursDto } from '../bindings';
import { longDateTime } from '../format';
import { SettingsSection } from './Settings';

const DAY_NAMES: Record<string, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
const DEFAULT_RANGE = { from: '09:00', to: '17:30' };

type Form = Pick<AutoRepliesDto, 'days' | 'holidays' | 'away_message' | 'greeting_message'>;

/** A moment in the business's time zone ("Monday 30 March, 09:00"), else the computer's. */
function inZone(ms: number, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', timeZone }).format(ms);
  } catch {
    return longDateTime(ms);
  }
}

function Status({ s }: { s: AutoRepliesDto }) {
  const now = s.open_now ? 'Open now.' : s.closed_until !== null ? `Closed now, until ${inZone(s.closed_until, s.time_zone)}.` : 'Closed now.';
  let replies = 'Automatic replies are off.';
  if (s.away_message && !s.open_now) replies = 'A customer who writes now gets the away message.';
  else if (s.away_message) replies = 'The away message goes out while you are closed.';
  else if (s.greeting_message) replies = 'Only the greeting is on.';
  return (
    <p class="auto-status" role="status">
      <span class={`auto-dot ${s.open_now ? 'open' : 'closed'}`} aria-hidden="true" />
      {now} {replies}
    </p>
  );
}

function DayRow({ day, onChange }: { day: DayHoursDto; onChange: (d: DayHoursDto) => void }) {
  const name = DAY_NAMES[day.day] ?? day.day;
  const open = day.ranges.length > 0;
  const id = `hours-${day.day}`;
  const setRange = (i: number, field: 'from' | 'to', value: string) =>
    onChange({ ...day, ranges: day.ranges.map((r, j) => (j === i ? { ...r, [field]: value.trim() } : r)) });
  return (
    <li class="hours-day" aria-label={name}>
      <input id={id} type="checkbox" role="switch" checked={open} onChange={(e) => onChange({ ...day, ranges: e.currentTarget.checked ? [DEFAULT_RANGE] : [] })} />
      <label for={id} class="hours-day-name">
        {name}
      </label>
      <div class="hours-ranges">
        {!open && <span class="hours-closed">Closed</span>}
        {day.ranges.map((r, i) => (
          <span class="hours-range" key={i}>
            <input
              class="hours-time"
              value={r.from}
              inputMode="numeric"
              maxLength={5}
              placeholder="09:00"
              aria-label={`${name} opens at`}
              onChange={(e) => setRange(i, 'from', e.currentTarget.value)}
            />
            <span aria-hidden="true">–</span>
            <input
              class="hours-time"
              value={r.to}
              inputMode="numeric"
              maxLength={5}
              placeholder="17:30"
              aria-label={`${name} closes at`}
              onChange={(e) => setRange(i, 'to', e.currentTarget.value)}
            />
            {day.ranges.length > 1 && (
              <button
                type="button"
                class="icon-btn"
                aria-label={`Remove ${name}'s hours ${r.from}–${r.to}`}
                onClick={() => onChange({ ...day, ranges: day.ranges.filter((_, j) => j !== i) })}
              >
                <X size={14} aria-hidden="true" />
              </button>
            )}
          </span>
        ))}
        {open && (
          <button
            type="button"
            class="link-btn hours-add"
            aria-label={`Add more hours on ${name}`}
            title="Add more hours (a break at lunch, an evening)"
            onClick={() => onChange({ ...day, ranges: [...day.ranges, { from: '', to: '' }] })}
          >
            <Plus size={14} aria-hidden="true" /> Hours
          </button>
        )}
      </div>
    </li>
  );
}

export function AutoRepliesSettings() {
  const [saved, setSaved] = useState<AutoRepliesDto | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [holiday, setHoliday] = useState('');
  useEffect(() => {
    call('get_auto_replies')
      .then((s) => {
        setSaved(s);
        setForm(s);
      })
      .catch(setError);
  }, []);
  if (!form || !saved) {
    return (
      <SettingsSection id="auto-replies" title="Opening hours and automatic replies">
        {error && (
          <p class="settings-error" role="alert">
            {error.message}
          </p>
        )}
      </SettingsSection>
    );
  }
  /** Applies `next` at once; a day range still half typed waits for its other end. */
  const apply = (next: Form) => {
    setForm(next);
    if (next.days.some((d) => d.ranges.some((r) => !r.from || !r.to))) return;
    const { days, holidays, away_message, greeting_message } = next;
    call('set_auto_replies', { days, holidays, away_message, greeting_message })
      .then((s) => {
        setSaved(s);
        setForm(s);
        setError(null);
      })
      .catch(setError);
  };
  const addHoliday = (e: Event) => {
    e.preventDefault();
    if (!holiday) return;
    apply({ ...form, holidays: [...form.holidays.filter((h) => h !== holiday), holiday] });
    setHoliday('');
  };
  return (
    <SettingsSection id="auto-replies" title="Opening hours and automatic replies">
      <Status s={saved} />
      <p class="settings-help">
        Times are in {saved.time_zone}
        {saved.time_zone_is_system ? ' (this computer’s time zone)' : ''}; change the time zone under Preferences. Clock changes are followed.
      </p>
      <ul class="hours-week" aria-label="Opening hours">
        {form.days.map((d) => (
          <DayRow key={d.day} day={d} onChange={(nd) => apply({ ...form, days: form.days.map((x) => (x.day === nd.day ? nd : x)) })} />
        ))}
      </ul>
      {form.days.every((d) => d.ranges.length === 0) && (
        <p class="settings-help">No opening hours: open around the clock, closed only on holidays.</p>
      )}
      <h3 class="settings-subhead">Holidays</h3>
      {form.holidays.length > 0 ? (
        <ul class="holiday-list" aria-label="Holidays">
          {form.holidays.map((h) => (
            <li key={h}>
              <time dateTime={h}>{h}</time>
              <button type="button" class="icon-btn" aria-label={`Remove the holiday ${h}`} onClick={() => apply({ ...form, holidays: form.holidays.filter((x) => x !== h) })}>
                <Trash2 size={14} aria-hidden="true" />
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="settings-help">No holidays. On a holiday Wicket counts the whole day as closed.</p>
      )}
      <form class="holiday-add" onSubmit={addHoliday}>
        <input type="date" value={holiday} aria-label="Holiday date" onInput={(e) => setHoliday(e.currentTarget.value)} />
        <button type="submit" class="wizard-btn" disabled={!holiday}>
          Add holiday
        </button>
      </form>
      <label class="auto-message">
        Away message
        <textarea
          rows={3}
          dir="auto"
          value={form.away_message}
          placeholder="Thanks {first_name}! We are closed now and answer from 9:00."
          aria-describedby="away-help"
          onChange={(e) => apply({ ...form, away_message: e.currentTarget.value })}
        />
      </label>
      <p id="away-help" class="settings-help">
        Sent automatically, once per closed period, to a customer who writes while you are closed; only where WhatsApp allows free text (within 24 hours of
        their message) and never to customers who opted out. Empty turns it off.
      </p>
      <label class="auto-message">
        Greeting
        <textarea
          rows={2}
          dir="auto"
          value={form.greeting_message}
          placeholder="Welcome to our shop! How can we help?"
          aria-describedby="greeting-help"
          onChange={(e) => apply({ ...form, greeting_message: e.currentTarget.value })}
        />
      </label>
      <p id="greeting-help" class="settings-help">
        Sent automatically to a customer who writes for the first time. <code>{'{name}'}</code> and <code>{'{first_name}'}</code> are filled from the
        contact. Empty turns it off.
      </p>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
    </SettingsSection>
  );
}
