// The wizard's shared parts: a field with its help, a step's header, the
// shell's error with advice, a verified connection, a value to copy.

import { ArrowLeft, CircleAlert, CircleCheck } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { CommandError, ConnectionInfoDto } from '../../bindings';

/** What to do about a failed test, by the shell's error code and kind. */
export function advice(e: CommandError): string {
  if (e.kind === 'auth') return 'Create a new token and paste it here: Business Settings → Users → System users → Generate new token.';
  if (e.kind === 'unavailable' || e.code === 'network' || e.code === 'unavailable')
    return 'Check the internet connection and try again; nothing was saved.';
  if (e.kind === 'rate_limited') return 'The provider asks to slow down: wait a minute and test again.';
  if (e.kind === 'session_disconnected') return 'Open the provider and reconnect the WhatsApp session (scan the QR code), then test again.';
  if (e.code === 'invalid') return 'Correct the field named above and test again.';
  if (e.code === 'secrets') return 'Wicket could not open its secret store: unlock the system keychain, or set WICKET_VAULT_PASSPHRASE, then try again.';
  return 'Check the values against the provider’s dashboard and test again.';
}

export function Problem({ error }: { error: CommandError }) {
  return (
    <div class="wizard-result wizard-fail" role="alert">
      <CircleAlert size={18} aria-hidden="true" />
      <div>
        <p>
          <strong>It did not work:</strong> {error.message}
        </p>
        <p class="muted">{advice(error)}</p>
      </div>
    </div>
  );
}

export function Connected({ info }: { info: ConnectionInfoDto }) {
  return (
    <div class="wizard-result wizard-ok" role="status">
      <CircleCheck size={18} aria-hidden="true" />
      <div>
        <p>
          <strong>Connected</strong>
          {info.verified_name ? <> to <span dir="auto">{info.verified_name}</span></> : null}
        </p>
        <p class="muted">
          {[info.display_number, info.quality_rating ? `quality rating ${info.quality_rating}` : null].filter(Boolean).join(' · ')}
        </p>
      </div>
    </div>
  );
}

export interface FieldProps {
  id: string;
  label: string;
  help: ComponentChildren;
  value: string;
  onInput: (v: string) => void;
  secret?: boolean;
  optional?: boolean;
  placeholder?: string;
  autofocus?: boolean;
}

export function Field(p: FieldProps) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (p.autofocus) ref.current?.focus();
  }, []);
  return (
    <div class="wizard-field">
      <label for={p.id}>
        {p.label}
        {p.optional ? <span class="muted"> (optional)</span> : null}
      </label>
      <input
        ref={ref}
        id={p.id}
        name={p.id}
        type={p.secret ? 'password' : 'text'}
        autocomplete="off"
        spellcheck={false}
        required={!p.optional}
        placeholder={p.placeholder}
        aria-describedby={`${p.id}-help`}
        value={p.value}
        onInput={(e) => p.onInput((e.target as HTMLInputElement).value)}
      />
      <p class="wizard-help" id={`${p.id}-help`}>
        {p.help}
      </p>
    </div>
  );
}

export function Header({ title, onBack, children }: { title: string; onBack?: () => void; children?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), [title]);
  return (
    <header class="wizard-head">
      {onBack && (
        <button type="button" class="wizard-back" onClick={onBack}>
          <ArrowLeft size={16} aria-hidden="true" /> Back
        </button>
      )}
      <h1 tabIndex={-1} ref={ref}>
        {title}
      </h1>
      {children && <p class="muted">{children}</p>}
    </header>
  );
}

/** A value shown in full, with a button that copies it. */
export function CopyValue({ label, value, secret }: { label: string; value: string; secret?: boolean }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="wizard-copy">
      <span class="wizard-copy-label">{label}</span>
      <code class={secret ? 'wizard-token' : undefined}>{value}</code>
      <button
        type="button"
        class="wizard-btn wizard-small"
        aria-label={`Copy ${label.toLowerCase()}`}
        onClick={() =>
          navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** Reads a picked file's text (the window never needs its path). */
export function readFile(input: HTMLInputElement): Promise<{ name: string; text: string } | null> {
  const file = input.files?.[0];
  if (!file) return Promise.resolve(null);
  return file.text().then((text) => ({ name: file.name, text }));
}
