// Account settings: every account with its status, a switch to turn it on
// or off, removal (with a confirmation naming what goes: its conversations
// and its secrets; the demo goes in one click), and "Add account", which
// opens the setup wizard again. The rules are the shell's accounts_*
// commands; this only shows them.

import { CircleAlert, Globe, Plus, Trash2, X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, AccountHealthDto, CommandError, Provider } from '../bindings';
import { Avatar } from './Avatar';
import { STATUS_TEXT } from './Rail';
import { PublicAddress } from './PublicAddressSetup';
import { SendingLimits } from './SendingLimits';
import { PollIntervals } from './PollIntervals';

const PROVIDER_TEXT: Record<Provider, string> = {
  meta: 'WhatsApp Cloud API (Meta)',
  wasender: 'WASender',
  unipile: 'UniPile',
  demo: 'Demo (sample data)',
};

export interface AccountsSettingsProps {
  accounts: AccountDto[];
  /** Opens the setup wizard to add another account. */
  onAdd: () => void;
  /** The accounts changed: reload them. */
  onChanged: () => void;
  /** Closes the settings (absent where the settings panel is the host). */
  onClose?: () => void;
}

const QUALITY_TEXT: Record<string, string> = { GREEN: 'high', YELLOW: 'medium', RED: 'low (flagged by Meta)' };

/** What Meta's account-level webhooks said: quality, limit, restrictions, and a banner per thing to do. */
export function AccountHealth({ accountId }: { accountId: number }) {
  const [h, setH] = useState<AccountHealthDto | null>(null);
  useEffect(() => {
    call('account_health', { account_id: accountId })
      .then(setH)
      .catch(() => setH(null));
  }, [accountId]);
  if (!h) return null;
  const details = [
    h.quality_rating && `Quality: ${QUALITY_TEXT[h.quality_rating] ?? h.quality_rating.toLowerCase()}`,
    h.messaging_limit && `Messaging limit: ${h.messaging_limit.replace(/^TIER_/, '').replace('_', ' ').toLowerCase()}`,
    h.restriction && `Restricted: ${h.restriction}`,
    h.verification && `Verification: ${h.verification}`,
  ].filter(Boolean);
  const history = h.history_import;
  return (
    <>
      {details.length > 0 && <p class="acct-health muted">{details.join(' · ')}</p>}
      {history && !history.error_message && (
        <div class="acct-history">
          <label class="muted" for={`history-${accountId}`}>
            {history.state === 'done'
              ? `The WhatsApp Business app's chats are imported (${history.messages} messages)`
              : `Importing the WhatsApp Business app's chats: ${history.progress}%${history.messages > 0 ? ` (${history.messages} messages so far)` : ''}`}
          </label>
          <progress id={`history-${accountId}`} max={100} value={history.progress} />
        </div>
      )}
      {history?.error_message && (
        <div class="acct-attention" role="note" aria-label="Chat history" key="history">
          <CircleAlert size={16} aria-hidden="true" />
          <div>
            <p class="acct-attention-message">{history.error_message}</p>
          </div>
        </div>
      )}
      {h.attention.map((a) => (
        <div class="acct-attention" role="note" aria-label="Needs attention" key={`${a.kind}/${a.subject ?? ''}`}>
          <CircleAlert size={16} aria-hidden="true" />
          <div>
            <p class="acct-attention-message" dir="auto">
              {a.message}
            </p>
            <p class="acct-attention-action">{a.action}</p>
          </div>
        </div>
      ))}
    </>
  );
}

function Row({ a, onChanged, onPublic }: { a: AccountDto; onChanged: () => void; onPublic: (id: number) => void }) {
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const demo = a.provider === 'demo';
  const act = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onChanged();
    } catch (e) {
      setError(e as CommandError);
    } finally {
      setBusy(false);
    }
  };
  const toggle = () => act(() => call('accounts_set_enabled', { account_id: a.id, enabled: !a.enabled }));
  const remove = () => act(() => call('accounts_remove', { account_id: a.id }));
  const label = `${a.name}`;
  return (
    <li class="acct-row">
      <Avatar name={a.name} colourKey={a.phone ?? a.name} size={36} />
      <div class="acct-main">
        <p class="acct-name" dir="auto">
          {a.name}
          {demo && <span class="acct-badge">Demo</span>}
        </p>
        <p class="muted">
          {PROVIDER_TEXT[a.provider]}
          {a.phone ? ` · ${a.phone}` : ''}
        </p>
        <p class={`acct-status status-text-${a.status}`}>
          <span class={`status-dot status-${a.status}`} aria-hidden="true" /> {STATUS_TEXT[a.status]}
          {a.status_reason ? `: ${a.status_reason}` : ''}
        </p>
        {a.provider === 'meta' && <AccountHealth accountId={a.id} />}
        {!demo && <SendingLimits accountId={a.id} name={a.name} />}
        {a.provider === 'unipile' && <PollIntervals accountId={a.id} name={a.name} />}
        {confirming && (
          <div class="acct-confirm" role="alertdialog" aria-label={`Remove ${label}?`}>
            <p>
              Remove <strong dir="auto">{a.name}</strong>? Its conversations and messages are deleted from this computer, and its secrets from the keychain.
              The account itself stays with {PROVIDER_TEXT[a.provider]}.
            </p>
            <div class="wizard-actions">
              <button type="button" class="wizard-btn" onClick={() => setConfirming(false)} disabled={busy}>
                Keep it
              </button>
              <button type="button" class="wizard-btn acct-danger" onClick={remove} disabled={busy}>
                {busy ? 'Removing…' : 'Remove for good'}
              </button>
            </div>
          </div>
        )}
        {error && (
          <p class="wizard-warn" role="alert">
            <CircleAlert size={14} aria-hidden="true" /> {error.message}
          </p>
        )}
      </div>
      <div class="acct-actions">
        <label class="acct-switch">
          <input type="checkbox" role="switch" checked={a.enabled} disabled={busy} aria-label={`${a.name}: sending and receiving`} onChange={toggle} />
          <span>{a.enabled ? 'On' : 'Off'}</span>
        </label>
        {(a.provider === 'meta' || a.provider === 'wasender') && (
          <button type="button" class="wizard-btn wizard-small" aria-label={`Public address for ${label}`} onClick={() => onPublic(a.id)}>
            <Globe size={14} aria-hidden="true" /> Public address
          </button>
        )}
        {demo ? (
          <button type="button" class="wizard-btn wizard-small" disabled={busy} onClick={remove}>
            <Trash2 size={14} aria-hidden="true" /> Remove the demo
          </button>
        ) : (
          !confirming && (
            <button type="button" class="wizard-btn wizard-small" disabled={busy} aria-label={`Remove ${label}`} onClick={() => setConfirming(true)}>
              <Trash2 size={14} aria-hidden="true" /> Remove
            </button>
          )
        )}
      </div>
    </li>
  );
}

export function AccountsSettings({ accounts, onAdd, onChanged, onClose }: AccountsSettingsProps) {
  const head = useRef<HTMLHeadingElement>(null);
  const [publicFor, setPublicFor] = useState<number | null>(null);
  // Back from an account's public address: focus returns to the heading. Not
  // when Settings opens: the panel opens at its top.
  const wasPublic = useRef(false);
  useEffect(() => {
    if (publicFor === null && wasPublic.current) head.current?.focus();
    wasPublic.current = publicFor !== null;
  }, [publicFor]);
  // The wizard's public-address step, for an account already set up.
  if (publicFor !== null) return <PublicAddress accountId={publicFor} onBack={() => setPublicFor(null)} />;
  return (
    <section class="accounts-settings" aria-labelledby="accounts-title">
      <header class="acct-head">
        <h1 id="accounts-title" tabIndex={-1} ref={head}>
          Accounts
        </h1>
        {onClose && (
          <button type="button" class="icon-btn" aria-label="Close account settings" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        )}
      </header>
      <p class="muted">Several numbers and providers side by side. A switched-off account keeps its conversations but sends and receives nothing.</p>
      {accounts.length === 0 ? <p>No account yet.</p> : null}
      <ul class="acct-list">
        {accounts.map((a) => (
          <Row key={a.id} a={a} onChanged={onChanged} onPublic={setPublicFor} />
        ))}
      </ul>
      <div class="wizard-actions">
        <button type="button" class="wizard-btn wizard-primary" onClick={onAdd}>
          <Plus size={16} aria-hidden="true" /> Add account
        </button>
      </div>
    </section>
  );
}
