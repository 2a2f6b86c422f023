// Presentation helpers: times, sizes, initials and avatar colours. Pure
// functions of their arguments (and the clock passed in), so they test easily.

const DAY = 24 * 60 * 60 * 1000;

function startOfDay(ms: number): number {
  const d = new Date(ms);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekdayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: '2-digit', month: '2-digit', year: 'numeric' });
const longDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** The conversation list's time: today 14:05, this week "Tue", older a date. */
export function listTime(ms: number, now: number): string {
  const today = startOfDay(now);
  if (ms >= today) return timeFmt.format(ms);
  if (ms >= today - 6 * DAY) return weekdayFmt.format(ms);
  return dateFmt.format(ms);
}

/** A bubble's time: always the clock time. */
export function clockTime(ms: number): string {
  return timeFmt.format(ms);
}

/** A moment in full, for facts such as "opted out since …": "Monday 7 December 2026, 13:05". */
export function longDateTime(ms: number): string {
  return `${longDayFmt.format(ms)}, ${timeFmt.format(ms)}`;
}

/** A day separator: "Today", "Yesterday", else the full date. */
export function dayLabel(ms: number, now: number): string {
  const today = startOfDay(now);
  const day = startOfDay(ms);
  if (day === today) return 'Today';
  if (day === startOfDay(today - 1)) return 'Yesterday';
  return longDayFmt.format(ms);
}

/** A stable key for the local day of `ms`. */
export function dayKey(ms: number): number {
  return startOfDay(ms);
}

export function sameDay(a: number, b: number): boolean {
  return startOfDay(a) === startOfDay(b);
}

/** "window closes in 3 h 12 min" for a Meta customer-service window. */
export function windowLeft(expiresAt: number, now: number): string {
  const mins = Math.max(0, Math.floor((expiresAt - now) / 60000));
  const h = Math.floor(mins / 60);
  const m = mins % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

export function fileSize(bytes: number | null): string {
  if (bytes == null) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Up to two letters of a name; digits of a number when there is no name. */
export function initials(name: string): string {
  const words = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  if (words.length === 0) return '#';
  if (/^\p{N}/u.test(words[0])) return words.join('').slice(-2);
  const first = Array.from(words[0])[0] ?? '';
  const last = words.length > 1 ? (Array.from(words[words.length - 1])[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** Eight avatar colours, each with white text at WCAG AA contrast. */
const AVATAR_COLOURS = ['#0f766e', '#1d4ed8', '#7c3aed', '#be185d', '#b45309', '#4d7c0f', '#0e7490', '#9f1239'];

/** A stable colour for a number (or any key): FNV-1a over its characters. */
export function avatarColour(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return AVATAR_COLOURS[(h >>> 0) % AVATAR_COLOURS.length];
}

const shortDayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short' });

/** When a scheduled message goes: "Today, 13:00", "Tomorrow, 09:00", else "Wed 11 Mar, 09:00". */
export function scheduledTime(ms: number, now: number): string {
  const day = startOfDay(ms);
  const today = startOfDay(now);
  const when = day === today ? 'Today' : day === startOfDay(today + DAY + DAY / 2) ? 'Tomorrow' : shortDayFmt.format(ms);
  return `${when}, ${timeFmt.format(ms)}`;
}

/** Nine o'clock tomorrow, local time (the "Send later" preset). */
export function tomorrowAt9(now: number): number {
  const d = new Date(startOfDay(now) + DAY + DAY / 2);
  d.setHours(9, 0, 0, 0);
  return d.getTime();
}

/** `ms` as a date-time input's local value, "YYYY-MM-DDTHH:MM". */
export function localInputValue(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}
