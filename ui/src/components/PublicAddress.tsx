// The public address in the inbox: a banner on the conversations of the
// accounts it concerns when customers' messages cannot reach this computer
// (the reason in plain words, Restart to fix it, Stop for a tunnel), and a
// quiet line under the list while it works (with Stop). The shell keeps it
// (public_address.rs) and announces each change as `public-address-health`.

import { CircleAlert, Globe, RotateCw, Square } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, CommandError, PublicAddressStatusDto } from '../bindings';

type Props = {
  status: PublicAddressStatusDto;
  onStatus: (s: PublicAddressStatusDto) => void;
  onError: (e: CommandError) => void;
};

export function useControl({ onStatus, onError }: Omit<Props, 'status'>) {
  const [busy, setBusy] = useState<'restart' | 'stop' | null>(null);
  const act = (what: 'restart' | 'stop') => {
    setBusy(what);
    call(what === 'restart' ? 'public_address_restart' : 'public_address_stop')
      .then(onStatus)
      .catch(onError)
      .finally(() => setBusy(null));
  };
  return { busy, act };
}

export function checkedAt(ms: number | null): string {
  if (ms == null) return '';
  return new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** Whether the banner shows: the address fails and concerns an account in view. */
export function addressTrouble(status: PublicAddressStatusDto | null, accountId: number | null): boolean {
  if (!status || (status.state !== 'unreachable' && status.state !== 'stopped')) return false;
  return accountId === null ? status.account_ids.length > 0 : status.account_ids.includes(accountId);
}

export function PublicAddressBanner({ status, accounts, onStatus, onError }: Props & { accounts: AccountDto[] }) {
  const { busy, act } = useControl({ onStatus, onError });
  const names = accounts.filter((a) => status.account_ids.includes(a.id)).map((a) => a.name);
  const checked = checkedAt(status.checked_at);
  return (
    <div class="account-banner address-banner" role="alert" aria-live="assertive">
      <CircleAlert size={16} aria-hidden="true" />
      <div class="address-banner-body">
        <span>
          {names.length > 0 && <strong dir="auto">{names.join(', ')}: </strong>}
          {status.reason ?? 'Customers’ messages cannot reach this computer.'}
        </span>
        {(status.detail || checked) && (
          <span class="address-detail">
            {status.detail}
            {status.detail && checked ? ' · ' : ''}
            {checked && `checked at ${checked}`}
          </span>
        )}
        {status.managed_here ? (
          <span class="address-actions">
            <button type="button" class="wizard-btn wizard-primary wizard-small" disabled={busy !== null} onClick={() => act('restart')}>
              <RotateCw size={14} aria-hidden="true" />
              {busy === 'restart' ? 'Restarting…' : 'Restart'}
            </button>
            {status.can_stop && (
              <button type="button" class="wizard-btn wizard-small" disabled={busy !== null} onClick={() => act('stop')}>
                <Square size={12} aria-hidden="true" />
                {busy === 'stop' ? 'Stopping…' : 'Stop'}
              </button>
            )}
          </span>
        ) : (
          <span class="address-detail">Wicket's engine does not run in this window: restart the address where it runs (for example, restart wicket serve).</span>
        )}
      </div>
    </div>
  );
}

/** Under the list while the address works: where messages arrive, with Stop. */
export function PublicAddressNote({ status, onStatus, onError }: Props) {
  const { busy, act } = useControl({ onStatus, onError });
  if (status.state !== 'reachable' && status.state !== 'starting') return null;
  const checked = checkedAt(status.checked_at);
  return (
    <div class="engine address-note" role="status">
      <Globe size={14} aria-hidden="true" />
      <span class="address-note-text">
        {status.state === 'starting' ? `Starting ${status.via ?? 'the public address'}…` : `Reachable at ${status.public_url ?? ''}`}
        {checked && status.state === 'reachable' ? ` (checked ${checked})` : ''}
      </span>
      {status.managed_here && status.can_stop && (
        <button type="button" class="icon-btn" aria-label="Stop the tunnel" title="Stop the tunnel" disabled={busy !== null} onClick={() => act('stop')}>
          <Square size={12} aria-hidden="true" />
        </button>
      )}
      {status.managed_here && (
        <button type="button" class="icon-btn" aria-label="Restart the public address" title="Restart" disabled={busy !== null} onClick={() => act('restart')}>
          <RotateCw size={12} aria-hidden="true" />
        </button>
      )}
    </div>
  );
}
