// An account's sending limits in Settings → Accounts (as `wicket account set
// ID --max-per-second N --max-per-hour N --recipient-gap S`): folded into one
// line until opened; Save stores all three at once, and the shell's refusal
// (out of range) is shown beside them with the stored values kept.

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, LimitsDto } from '../bindings';

const FIELDS: { key: keyof LimitsDto; label: string; min: number; max: number }[] = [
  { key: 'max_per_second', label: 'Messages per second', min: 1, max: 1000 },
  { key: 'max_per_hour', label: 'Messages per hour', min: 1, max: 1000000 },
  { key: 'recipient_gap_seconds', label: 'Seconds between two messages to one customer', min: 0, max: 3600 },
];

export function limitsLine(l: LimitsDto): string {
  const n = (x: number) => x.toLocaleString();
  const gap = l.recipient_gap_seconds === 0 ? 'no wait between messages to one customer' : `${l.recipient_gap_seconds} s between messages to one customer`;
  return `${n(l.max_per_second)} a second · ${n(l.max_per_hour)} an hour · ${gap}`;
}

export function SendingLimits({ accountId, name }: { accountId: number; name: string }) {
  const [stored, setStored] = useState<LimitsDto | null>(null);
  const [draft, setDraft] = useState<LimitsDto | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    call('account_limits', { account_id: accountId })
      .then((l) => (setStored(l), setDraft(l)))
      .catch(setError);
  }, [accountId]);
  if (!stored || !draft) return error ? <p class="wizard-warn">{error.message}</p> : null;
  const save = (e: Event) => {
    e.preventDefault();
    call('set_account_limits', { account_id: accountId, limits: draft })
      .then((l) => {
        setStored(l);
        setDraft(l);
        setError(null);
        setSaved(true);
      })
      .catch((e: CommandError) => (setError(e), setSaved(false)));
  };
  return (
    <details class="acct-limits">
      <summary>Sending limits: {limitsLine(stored)}</summary>
      <form onSubmit={save} aria-label={`Sending limits of ${name}`}>
        {FIELDS.map((f) => (
          <label key={f.key}>
            <span>{f.label}</span>
            <input
              type="number"
              min={f.min}
              max={f.max}
              value={draft[f.key]}
              onInput={(e) => (setDraft({ ...draft, [f.key]: Number(e.currentTarget.value) }), setSaved(false))}
            />
          </label>
        ))}
        <p class="settings-help">Bursts wait their turn; nothing fails because of these limits. Meta allows up to 80 a second per number.</p>
        <div class="settings-actions">
          <button type="submit" class="wizard-btn wizard-small">
            Save limits
          </button>
          {saved && (
            <span class="muted" role="status">
              Saved
            </span>
          )}
        </div>
        {error && (
          <p class="wizard-warn" role="alert">
            {error.message}
          </p>
        )}
      </form>
    </details>
  );
}
