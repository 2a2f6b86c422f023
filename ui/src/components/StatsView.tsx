// The statistics view, opened from the rail: the same figures as
// `wicket stats` for the last 7, 30 or 90 days, all accounts or one —
// messages per day in and out, the busiest hours, delivery and read rates,
// the median first reply, failures by reason. Charts are SVG drawn here
// (no charting library, nothing remote).

import { X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, CommandError, StatsDto } from '../bindings';
import { useEscape } from '../hooks';

const PERIODS = [7, 30, 90];

function percent(rate: number | null): string {
  return rate === null ? '–' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)} %`;
}

/** "10 min", "1 h 05 min", "45 s". */
export function replyTime(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)} h ${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')} min`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

function Tile({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div class="stat-tile">
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
      {hint && <span class="stat-hint">{hint}</span>}
    </div>
  );
}

const dayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayLabel = (day: string) => dayFmt.format(new Date(`${day}T12:00:00`));

/** Messages per day: received and sent side by side. */
function PerDayChart({ days }: { days: StatsDto['per_day'] }) {
  const max = Math.max(1, ...days.map((d) => Math.max(Number(d.received), Number(d.sent))));
  const w = 520;
  const h = 140;
  const slot = w / Math.max(1, days.length);
  const bar = Math.max(1, Math.min(14, slot / 2 - 1));
  const y = (n: number) => h - (n / max) * (h - 14);
  const total = (k: 'received' | 'sent') => days.reduce((s, d) => s + Number(d[k]), 0);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h + 18}`} role="img" aria-label={`Messages per day: ${total('received')} received and ${total('sent')} sent over ${days.length} days; at most ${max} in a day`}>
        <line x1="0" x2={w} y1={h} y2={h} class="chart-axis" />
        {days.map((d, i) => {
          const x = i * slot + slot / 2;
          return (
            <g key={d.day}>
              <title>{`${dayLabel(d.day)}: ${d.received} received, ${d.sent} sent`}</title>
              <rect class="bar-in" x={x - bar} y={y(Number(d.received))} width={bar} height={h - y(Number(d.received))} />
              <rect class="bar-out" x={x} y={y(Number(d.sent))} width={bar} height={h - y(Number(d.sent))} />
            </g>
          );
        })}
        {days.length > 0 && (
          <>
            <text x="0" y={h + 14} class="chart-tick">
              {dayLabel(days[0].day)}
            </text>
            <text x={w} y={h + 14} class="chart-tick" text-anchor="end">
              {dayLabel(days[days.length - 1].day)}
            </text>
          </>
        )}
        <text x="2" y="10" class="chart-tick">
          {max}
        </text>
      </svg>
      <figcaption>
        <span class="legend legend-in">Received</span> <span class="legend legend-out">Sent</span>
      </figcaption>
    </figure>
  );
}

/** Customer messages per hour of the day. */
function HoursChart({ hours }: { hours: StatsDto['received_by_hour'] }) {
  const counts = hours.map(Number);
  const max = Math.max(1, ...counts);
  const busiest = counts.indexOf(Math.max(...counts));
  const w = 520;
  const h = 90;
  const slot = w / 24;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${w} ${h + 18}`} role="img" aria-label={counts.some((c) => c > 0) ? `Busiest hour: ${busiest}:00 to ${busiest + 1}:00 with ${counts[busiest]} messages` : 'No customer messages in this period'}>
        <line x1="0" x2={w} y1={h} y2={h} class="chart-axis" />
        {counts.map((c, i) => (
          <g key={i}>
            <title>{`${i}:00–${i + 1}:00: ${c} received`}</title>
            <rect class={i === busiest && c > 0 ? 'bar-in bar-peak' : 'bar-in'} x={i * slot + 2} y={h - (c / max) * (h - 4)} width={slot - 4} height={(c / max) * (h - 4)} />
          </g>
        ))}
        {[0, 6, 12, 18, 23].map((i) => (
          <text key={i} x={i * slot + slot / 2} y={h + 14} class="chart-tick" text-anchor="middle">
            {i}
          </text>
        ))}
      </svg>
    </figure>
  );
}

export function StatsView({ accounts, onClose }: { accounts: AccountDto[]; onClose: () => void }) {
  const [days, setDays] = useState(7);
  const [accountId, setAccountId] = useState<number | null>(null);
  const [stats, setStats] = useState<StatsDto | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => dialog.current?.focus(), []);
  useEscape(onClose);
  useEffect(() => {
    call('get_stats', { account_id: accountId, days })
      .then((s) => {
        setStats(s);
        setError(null);
      })
      .catch(setError);
  }, [days, accountId]);

  return (
    <div class="settings-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="settings stats" role="dialog" aria-modal="true" aria-labelledby="stats-title" tabIndex={-1} ref={dialog}>
        <header class="settings-head">
          <h1 id="stats-title">Statistics</h1>
          <button type="button" class="icon-btn" aria-label="Close statistics" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        <div class="stats-controls">
          <label>
            Account{' '}
            <select value={accountId ?? ''} onChange={(e) => setAccountId(e.currentTarget.value === '' ? null : Number(e.currentTarget.value))}>
              <option value="">All accounts</option>
              {accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
          <div class="segmented" role="group" aria-label="Period">
            {PERIODS.map((p) => (
              <button key={p} type="button" aria-pressed={days === p} onClick={() => setDays(p)}>
                {p} days
              </button>
            ))}
          </div>
        </div>
        {error && (
          <p class="settings-error" role="alert">
            {error.message}
          </p>
        )}
        {!stats ? (
          !error && <p class="muted">Loading…</p>
        ) : (
          <div class="stats-body">
            <div class="stat-tiles">
              <Tile label="Received" value={String(stats.received)} />
              <Tile label="Sent" value={String(stats.sent)} hint={Number(stats.failed) > 0 ? `${stats.failed} failed` : undefined} />
              <Tile label="Delivered" value={percent(stats.delivery_rate)} />
              <Tile label="Read" value={percent(stats.read_rate)} />
              <Tile label="First reply (median)" value={replyTime(stats.median_first_reply_seconds === null ? null : Number(stats.median_first_reply_seconds))} hint={`${stats.replies_measured} answered`} />
            </div>
            <h2>Messages per day</h2>
            <PerDayChart days={stats.per_day} />
            <h2>Busiest hours</h2>
            <HoursChart hours={stats.received_by_hour} />
            <h2>Failures by reason</h2>
            {stats.failures.length === 0 ? (
              <p class="muted">No message failed in this period.</p>
            ) : (
              <ul class="stats-failures">
                {stats.failures.map((f) => (
                  <li key={`${f.code}-${f.kind}`}>
                    <strong>{f.count}×</strong> {f.message ?? f.kind ?? 'unknown error'}
                    {f.code && <span class="muted"> (code {f.code})</span>}
                  </li>
                ))}
              </ul>
            )}
            <p class="settings-help">
              Webhooks: {stats.webhooks.accepted} accepted, {stats.webhooks.duplicate} repeated by the provider, {stats.webhooks.rejected} refused (bad signature), {stats.webhooks.failed} unreadable · {stats.rate_limit_waits} message(s)
              waited for the rate limits · {stats.queue_depth} waiting to be sent now · times in {stats.time_zone}
            </p>
          </div>
        )}
      </div>
    </div>
  );
}
