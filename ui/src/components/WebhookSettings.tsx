// Settings → Webhooks: where the webhook listener answers (the
// `webhook_listen` setting `wicket serve` reads too; applied at once when
// this window runs the engine), with the shell's warning for an address other
// machines can reach; and the public address: its state, its last check, the
// tunnel, Stop and Restart, and the public-address step to set it up.

import { CircleAlert, Globe, RotateCw, Square } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, CommandError, PublicAddressStatusDto, WebhookListenerDto } from '../bindings';
import { checkedAt, useControl } from './PublicAddress';
import { PublicAddress } from './PublicAddressSetup';
import { SettingsSection } from './Settings';

const STATE_TEXT: Record<string, string> = {
  unconfigured: 'Not set up',
  starting: 'Starting…',
  reachable: 'Reachable',
  unreachable: 'Not reachable',
  stopped: 'Stopped',
};

const APPLIES_TEXT: Record<string, string> = {
  here: 'Applied at once: this window runs the engine.',
  serve: 'wicket serve runs the engine: it listens there from its next start.',
  start: 'The engine is not running: it listens there when it starts.',
};

function Listener() {
  const [stored, setStored] = useState<WebhookListenerDto | null>(null);
  const [draft, setDraft] = useState<{ enabled: boolean; address: string; port: string } | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [busy, setBusy] = useState(false);
  const take = (l: WebhookListenerDto) => {
    setStored(l);
    setDraft({ enabled: l.enabled, address: l.address, port: String(l.port) });
  };
  useEffect(() => {
    call('webhook_listener').then(take).catch(setError);
  }, []);
  if (!stored || !draft) return error ? <p class="wizard-warn">{error.message}</p> : null;
  const apply = (next: typeof draft) => {
    setBusy(true);
    call('set_webhook_listener', { enabled: next.enabled, address: next.address, port: Number(next.port) })
      .then((l) => (take(l), setError(null)))
      .catch((e: CommandError) => setError(e))
      .finally(() => setBusy(false));
  };
  return (
    <form
      class="webhook-listener"
      aria-label="Webhook listener"
      onSubmit={(e) => {
        e.preventDefault();
        apply(draft);
      }}
    >
      <div class="settings-row">
        <input
          id="pref-webhook-listener"
          type="checkbox"
          role="switch"
          checked={draft.enabled}
          disabled={busy}
          aria-describedby="pref-webhook-listener-help"
          onChange={(e) => {
            const next = { ...draft, enabled: e.currentTarget.checked };
            setDraft(next);
            apply(next);
          }}
        />
        <div>
          <label for="pref-webhook-listener">Receive webhooks on this computer</label>
          <p id="pref-webhook-listener-help" class="settings-help">
            WhatsApp Cloud API and WASender deliver messages here, through the public address below.
          </p>
        </div>
      </div>
      <div class="webhook-fields">
        <label class="settings-field">
          <span>Address</span>
          <input type="text" value={draft.address} disabled={!draft.enabled || busy} onInput={(e) => setDraft({ ...draft, address: e.currentTarget.value })} />
        </label>
        <label class="settings-field">
          <span>Port</span>
          <input
            type="number"
            min={0}
            max={65535}
            value={draft.port}
            disabled={!draft.enabled || busy}
            onInput={(e) => setDraft({ ...draft, port: e.currentTarget.value })}
          />
        </label>
        <button type="submit" class="wizard-btn wizard-small" disabled={!draft.enabled || busy}>
          {busy ? 'Applying…' : 'Apply'}
        </button>
      </div>
      {stored.warning && (
        <p class="wizard-warn webhook-warning" role="note" aria-label="Warning">
          <CircleAlert size={14} aria-hidden="true" /> {stored.warning}
        </p>
      )}
      <p class="settings-help" role="status">
        {stored.listening ? `Listening at ${stored.listening}.` : stored.enabled ? 'Not listening yet.' : 'Off: no webhook reaches this computer.'}{' '}
        {stored.enabled && APPLIES_TEXT[stored.applies]}
      </p>
      {error && (
        <p class="wizard-warn" role="alert">
          {error.message}
        </p>
      )}
    </form>
  );
}

export interface WebhookSettingsProps {
  accounts: AccountDto[];
  status: PublicAddressStatusDto | null;
  onStatus: (s: PublicAddressStatusDto) => void;
}

function AddressState({ status, onStatus }: { status: PublicAddressStatusDto; onStatus: (s: PublicAddressStatusDto) => void }) {
  const [error, setError] = useState<CommandError | null>(null);
  const { busy, act } = useControl({ onStatus: (s) => (setError(null), onStatus(s)), onError: setError });
  const checked = checkedAt(status.checked_at);
  const trouble = status.state === 'unreachable' || status.state === 'stopped';
  return (
    <div class="webhook-address">
      <dl class="settings-about">
        <dt>State</dt>
        <dd class={trouble ? 'address-trouble' : ''}>
          <Globe size={14} aria-hidden="true" /> {STATE_TEXT[status.state] ?? status.state}
          {status.state === 'reachable' && status.public_url ? ` at ${status.public_url}` : ''}
        </dd>
        {status.via && (
          <>
            <dt>Through</dt>
            <dd>{status.via}</dd>
          </>
        )}
        <dt>Last check</dt>
        <dd>{checked || 'Not checked yet'}</dd>
      </dl>
      {status.reason && <p class="settings-help">{status.reason}</p>}
      {status.detail && <p class="settings-help">{status.detail}</p>}
      {status.state !== 'unconfigured' &&
        (status.managed_here ? (
          <div class="settings-actions">
            <button type="button" class="wizard-btn wizard-small" disabled={busy !== null} onClick={() => act('restart')}>
              <RotateCw size={14} aria-hidden="true" /> {busy === 'restart' ? 'Restarting…' : 'Restart'}
            </button>
            {status.can_stop && (
              <button type="button" class="wizard-btn wizard-small" disabled={busy !== null} onClick={() => act('stop')}>
                <Square size={12} aria-hidden="true" /> {busy === 'stop' ? 'Stopping…' : 'Stop'}
              </button>
            )}
          </div>
        ) : (
          <p class="settings-help">Wicket's engine does not run in this window: restart the address where it runs (for example, restart wicket serve).</p>
        ))}
      {error && (
        <p class="wizard-warn" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}

export function WebhookSettings({ accounts, status, onStatus }: WebhookSettingsProps) {
  const [setupFor, setSetupFor] = useState<number | null>(null);
  const webhookAccounts = accounts.filter((a) => a.provider === 'meta' || a.provider === 'wasender');
  if (setupFor !== null)
    return (
      <PublicAddress
        accountId={setupFor}
        onBack={() => {
          setSetupFor(null);
          call('public_address_status').then(onStatus).catch(() => undefined);
        }}
      />
    );
  return (
    <SettingsSection id="webhooks" title="Webhooks">
      <Listener />
      <h3 class="settings-subhead">Public address</h3>
      {status && <AddressState status={status} onStatus={onStatus} />}
      {webhookAccounts.length === 0 ? (
        <p class="settings-help">No account receives webhooks (WhatsApp Cloud API or WASender): there is nothing to set up.</p>
      ) : (
        <div class="settings-actions">
          {webhookAccounts.map((a) => (
            <button key={a.id} type="button" class="wizard-btn wizard-small" onClick={() => setSetupFor(a.id)}>
              Set up the public address{webhookAccounts.length > 1 ? ` for ${a.name}` : ''}
            </button>
          ))}
        </div>
      )}
    </SettingsSection>
  );
}
