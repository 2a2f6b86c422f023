// A UniPile account's poll intervals in Settings → Accounts (as `wicket
// account set ID --poll-interval S --idle-poll-interval S`): how often the
// engine asks UniPile for new messages while the window is in use and
// otherwise. Save stores both; the core's refusal is shown beside them.

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, PollingDto } from '../bindings';

export function PollIntervals({ accountId, name }: { accountId: number; name: string }) {
  const [stored, setStored] = useState<PollingDto | null>(null);
  const [draft, setDraft] = useState<{ active: string; idle: string } | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [saved, setSaved] = useState(false);
  const take = (p: PollingDto) => {
    setStored(p);
    setDraft({ active: String(p.active_seconds), idle: String(p.idle_seconds) });
  };
  useEffect(() => {
    call('account_polling', { account_id: accountId }).then(take).catch(setError);
  }, [accountId]);
  if (!stored || !draft) return error ? <p class="wizard-warn">{error.message}</p> : null;
  const save = (e: Event) => {
    e.preventDefault();
    call('set_account_polling', { account_id: accountId, active_seconds: Number(draft.active), idle_seconds: Number(draft.idle) })
      .then((p) => (take(p), setError(null), setSaved(true)))
      .catch((e: CommandError) => (setError(e), setSaved(false)));
  };
  return (
    <details class="acct-limits acct-polling">
      <summary>
        Checks for messages every {stored.active_seconds} s in use, every {stored.idle_seconds} s idle
      </summary>
      <form onSubmit={save} aria-label={`Poll intervals of ${name}`}>
        <label>
          <span>Seconds between checks while in use</span>
          <input type="number" min={1} max={86400} value={draft.active} onInput={(e) => (setDraft({ ...draft, active: e.currentTarget.value }), setSaved(false))} />
        </label>
        <label>
          <span>Seconds between checks while idle</span>
          <input type="number" min={1} max={86400} value={draft.idle} onInput={(e) => (setDraft({ ...draft, idle: e.currentTarget.value }), setSaved(false))} />
        </label>
        <p class="settings-help">UniPile sends no webhooks here: Wicket asks it. Shorter is quicker and uses more of UniPile's quota.</p>
        <div class="settings-actions">
          <button type="submit" class="wizard-btn wizard-small">
            Save intervals
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
