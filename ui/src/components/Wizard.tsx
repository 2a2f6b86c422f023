// The setup wizard: from first launch (or "+ Add account") to a working
// account. Every field says in plain words what it is and where to find it;
// "Test connection" shows the provider's answer or the reason and what to
// do; a first sync with a progress bar ends it. All logic is in the shell's
// wizard_* commands; secrets typed here go straight to the secret store.

import { ArrowLeft, CircleAlert, CircleCheck, FileText, Laptop, Play } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, on } from '../api';
import { useAction } from '../hooks';
import type {
  CommandError,
  ConnectionInfoDto,
  EnvImportDto,
  FirstSyncStepDto,
  ListenerDto,
  PublicAddressDto,
  RegistrationDto,
  SelfCheckDto,
  TunnelStartedDto,
  UnipileAccountDto,
  WizardAddedDto,
  WizardMetaArgs,
  WizardWasenderArgs,
} from '../bindings';

type Step = 'welcome' | 'meta' | 'wasender' | 'unipile' | 'env' | 'export' | 'sync' | 'public';

export interface WizardProps {
  /** First launch: no account yet, so there is nothing to go back to. */
  first: boolean;
  /** The wizard is finished (the account to open, if any) or cancelled. */
  onDone: (accountId: number | null) => void;
}

/** What to do about a failed test, by the shell's error code and kind. */
function advice(e: CommandError): string {
  if (e.kind === 'auth') return 'Create a new token and paste it here: Business Settings → Users → System users → Generate new token.';
  if (e.kind === 'unavailable' || e.code === 'network' || e.code === 'unavailable')
    return 'Check the internet connection and try again; nothing was saved.';
  if (e.kind === 'rate_limited') return 'The provider asks to slow down: wait a minute and test again.';
  if (e.kind === 'session_disconnected') return 'Open the provider and reconnect the WhatsApp session (scan the QR code), then test again.';
  if (e.code === 'invalid') return 'Correct the field named above and test again.';
  if (e.code === 'secrets') return 'Wicket could not open its secret store: unlock the system keychain, or set WICKET_VAULT_PASSPHRASE, then try again.';
  return 'Check the values against the provider’s dashboard and test again.';
}

function Problem({ error }: { error: CommandError }) {
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

function Connected({ info }: { info: ConnectionInfoDto }) {
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

interface FieldProps {
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

function Field(p: FieldProps) {
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

function Header({ title, onBack, children }: { title: string; onBack?: () => void; children?: ComponentChildren }) {
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

function MetaForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
  const [f, setF] = useState({ name: '', phone_number_id: '', business_account_id: '', token: '', app_secret: '', verify_token: '' });
  const { busy, error, run } = useAction<'test' | 'save'>();
  const [tested, setTested] = useState<ConnectionInfoDto | null>(null);
  const set = (k: keyof typeof f) => (v: string) => {
    setF((old) => ({ ...old, [k]: v }));
    setTested(null); // a changed field needs a new test
  };
  const args = (): WizardMetaArgs => ({
    phone_number_id: f.phone_number_id.trim(),
    business_account_id: f.business_account_id.trim(),
    token: f.token,
    app_secret: f.app_secret,
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    ...(f.verify_token.trim() ? { verify_token: f.verify_token.trim() } : {}),
  });
  const complete = f.phone_number_id.trim() && f.business_account_id.trim() && f.token.trim() && f.app_secret.trim();
  const test = () =>
    run('test', async () => {
      const info = await call('wizard_test_meta', args());
      setTested(info);
      if (!f.name.trim() && info.verified_name) setF((old) => ({ ...old, name: info.verified_name ?? '' }));
    });
  const save = () => run('save', async () => onSaved([await call('wizard_add_meta', args())]), true);
  return (
    <form
      class="wizard-form"
      aria-label="Connect through Meta's WhatsApp Cloud API"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy && complete) (tested ? save : test)();
      }}
    >
      <Header title="WhatsApp Cloud API (Meta)" onBack={onBack}>
        Four values from Meta's dashboards connect your number. Wicket tests them before saving anything.
      </Header>
      <Field
        id="meta-phone-number-id"
        label="Phone number ID"
        autofocus
        value={f.phone_number_id}
        onInput={set('phone_number_id')}
        placeholder="e.g. 123456789012345"
        help={<>A long number, not your phone number. In WhatsApp Manager → API setup (or your app → WhatsApp → API setup), under “Phone number ID”.</>}
      />
      <Field
        id="meta-business-account-id"
        label="WhatsApp Business account ID"
        value={f.business_account_id}
        onInput={set('business_account_id')}
        placeholder="e.g. 987654321098765"
        help={<>On the same API setup page, under “WhatsApp Business Account ID”. Wicket uses it to read your message templates.</>}
      />
      <Field
        id="meta-token"
        label="Access token"
        secret
        value={f.token}
        onInput={set('token')}
        help={
          <>
            A permanent System User token: Business Settings → Users → System users → Generate new token, with the whatsapp_business_messaging and
            whatsapp_business_management permissions. The temporary token on the API setup page stops working after a day.
          </>
        }
      />
      <Field
        id="meta-app-secret"
        label="App secret"
        secret
        value={f.app_secret}
        onInput={set('app_secret')}
        help={<>App Dashboard → App settings → Basic → App secret (“Show”). Wicket uses it to check that webhooks really come from Meta.</>}
      />
      <Field
        id="meta-verify-token"
        label="Webhook verify token"
        optional
        secret
        value={f.verify_token}
        onInput={set('verify_token')}
        help={<>Any password you choose, pasted into the webhook settings of your app. Leave it empty and Wicket makes a strong one and shows it once.</>}
      />
      <Field
        id="meta-name"
        label="Name in Wicket"
        optional
        value={f.name}
        onInput={set('name')}
        help={<>How this number appears in the account rail; the name Meta verified when empty.</>}
      />
      <div aria-live="polite">
        {tested && <Connected info={tested} />}
        {error && <Problem error={error} />}
      </div>
      <div class="wizard-actions">
        {/* The default button (Enter in a field) is the next thing to do. */}
        <button type={tested ? 'button' : 'submit'} class="wizard-btn" disabled={!complete || busy !== null} onClick={(e) => (e.preventDefault(), test())}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type={tested ? 'submit' : 'button'} class="wizard-btn wizard-primary" disabled={!tested || busy !== null} onClick={(e) => (e.preventDefault(), save())}>
          {busy === 'save' ? 'Saving…' : 'Save and continue'}
        </button>
      </div>
      {!tested && <p class="wizard-help">Test the connection first: saving is possible once Meta has answered.</p>}
    </form>
  );
}

function WasenderForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
  const [f, setF] = useState({ name: '', api_key: '', webhook_secret: '', personal_access_token: '', session_id: '' });
  const { busy, error, run } = useAction<'test' | 'save'>();
  const [tested, setTested] = useState<ConnectionInfoDto | null>(null);
  const set = (k: keyof typeof f) => (v: string) => {
    setF((old) => ({ ...old, [k]: v }));
    setTested(null); // a changed field needs a new test
  };
  // Only what was typed: optional fields left empty are not sent.
  const args = (): WizardWasenderArgs => ({
    api_key: f.api_key,
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    ...(f.webhook_secret.trim() ? { webhook_secret: f.webhook_secret.trim() } : {}),
    ...(f.personal_access_token.trim() ? { personal_access_token: f.personal_access_token.trim() } : {}),
    ...(f.session_id.trim() ? { session_id: f.session_id.trim() } : {}),
  });
  const test = () =>
    run('test', async () => {
      const info = await call('wizard_test_wasender', args());
      setTested(info);
      if (!f.name.trim() && info.verified_name) setF((old) => ({ ...old, name: info.verified_name ?? '' }));
    });
  const save = () => run('save', async () => onSaved([await call('wizard_add_wasender', args())]), true);
  const complete = f.api_key.trim();
  return (
    <form
      class="wizard-form"
      aria-label="Connect through WASender"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy && complete) (tested ? save : test)();
      }}
    >
      <Header title="WASender" onBack={onBack}>
        WASender links a WhatsApp session on your phone. Wicket tests the key and the session before saving anything.
      </Header>
      <Field id="ws-api-key" label="API key" secret autofocus value={f.api_key} onInput={set('api_key')} help={<>In WASender → Sessions → your session → API key.</>} />
      <Field
        id="ws-webhook-secret"
        label="Webhook secret"
        optional
        secret
        value={f.webhook_secret}
        onInput={set('webhook_secret')}
        help={<>In the session's webhook settings; Wicket uses it to check that webhooks really come from WASender.</>}
      />
      <Field
        id="ws-pat"
        label="Personal access token"
        optional
        secret
        value={f.personal_access_token}
        onInput={set('personal_access_token')}
        help={<>WASender → Settings → Personal access token. With it (and the session ID) Wicket can set the session's webhook itself.</>}
      />
      <Field id="ws-session" label="Session ID" optional value={f.session_id} onInput={set('session_id')} help={<>The number in the session's address in WASender's dashboard.</>} />
      <Field id="ws-name" label="Name in Wicket" optional value={f.name} onInput={set('name')} help={<>How this number appears in the account rail.</>} />
      <div aria-live="polite">
        {tested && <Connected info={tested} />}
        {error && <Problem error={error} />}
      </div>
      <div class="wizard-actions">
        <button type={tested ? 'button' : 'submit'} class="wizard-btn" disabled={!complete || busy !== null} onClick={(e) => (e.preventDefault(), test())}>
          {busy === 'test' ? 'Testing…' : 'Test connection'}
        </button>
        <button type={tested ? 'submit' : 'button'} class="wizard-btn wizard-primary" disabled={!tested || busy !== null} onClick={(e) => (e.preventDefault(), save())}>
          {busy === 'save' ? 'Saving…' : 'Save and continue'}
        </button>
      </div>
      {!tested && <p class="wizard-help">Test the connection first: saving is possible once WASender has answered.</p>}
    </form>
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

/** UniPile's hosted authentication: a link, then waiting for the account. */
function UnipileConnect({ dsn, apiKey, onFound }: { dsn: string; apiKey: string; onFound: (a: UnipileAccountDto) => void }) {
  const [link, setLink] = useState<{ url: string; known: string[] } | null>(null);
  const [checks, setChecks] = useState(0);
  const [state, setState] = useState<'idle' | 'link' | 'waiting' | 'found' | 'failed'>('idle');
  const [error, setError] = useState<CommandError | null>(null);
  const [found, setFound] = useState<UnipileAccountDto | null>(null);
  const stop = useRef(false);
  useEffect(() => () => void (stop.current = true), []);
  const start = async () => {
    setError(null);
    setState('link');
    try {
      const l = await call('wizard_unipile_connect', { dsn, api_key: apiKey });
      setLink(l);
      setState('waiting');
      stop.current = false;
      for (let i = 1; !stop.current; i++) {
        try {
          const a = await call('wizard_unipile_wait', { dsn, api_key: apiKey, known: l.known, seconds: 30 });
          setFound(a);
          setState('found');
          onFound(a);
          return;
        } catch (e) {
          const err = e as CommandError;
          // Not there yet: keep waiting; anything else is the answer.
          if (err.code !== 'not_found') throw err;
          setChecks(i);
        }
      }
    } catch (e) {
      setError(e as CommandError);
      setState('failed');
    }
  };
  return (
    <div class="wizard-connect" aria-label="Connect a new WhatsApp account">
      <h2>Connect a new WhatsApp account</h2>
      <p class="wizard-help">UniPile makes a sign-in page for you: open it in your browser and scan its QR code with WhatsApp on the phone (Settings → Linked devices).</p>
      {state === 'idle' || state === 'failed' ? (
        <button type="button" class="wizard-btn" disabled={!dsn.trim() || !apiKey.trim()} onClick={start}>
          {state === 'failed' ? 'Try again' : 'Create a sign-in link'}
        </button>
      ) : null}
      <ol class="wizard-checkpoints" aria-live="polite">
        {state !== 'idle' && <li class={link ? 'done' : ''}>{link ? 'Sign-in link created.' : 'Creating the sign-in link…'}</li>}
        {link && (
          <li class={state === 'found' ? 'done' : ''}>
            Open this link in your browser and scan the QR code:
            <CopyValue label="Sign-in link" value={link.url} />
          </li>
        )}
        {state === 'waiting' && (
          <li>
            <span role="status">
              Waiting for the new account to appear in UniPile{checks > 0 ? ` (checked for ${checks * 30} s; still waiting)` : '…'}
            </span>{' '}
            <button type="button" class="wizard-btn wizard-small" onClick={() => ((stop.current = true), setState('idle'))}>
              Stop waiting
            </button>
          </li>
        )}
        {found && <li class="done">Connected: {found.name || found.id}{found.phone ? ` (${found.phone})` : ''}. It is selected below.</li>}
      </ol>
      {error && <Problem error={error} />}
    </div>
  );
}

function UnipileForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
  const [dsn, setDsn] = useState('');
  const [key, setKey] = useState('');
  const [list, setList] = useState<UnipileAccountDto[] | null>(null);
  const [chosen, setChosen] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e as CommandError);
    } finally {
      setBusy(false);
    }
  };
  const listAccounts = () =>
    run(async () => {
      const l = await call('wizard_unipile_accounts', { dsn, api_key: key });
      setList(l);
      setChosen(l.map((a) => a.id));
    });
  const save = () => run(async () => onSaved(await call('wizard_add_unipile', { dsn, api_key: key, account_ids: chosen })));
  return (
    <form
      class="wizard-form"
      aria-label="Connect through UniPile"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy) (list && chosen.length ? save : listAccounts)();
      }}
    >
      <Header title="UniPile" onBack={onBack}>
        UniPile connects WhatsApp accounts you linked in its dashboard. Wicket lists them; pick the ones to bring in.
      </Header>
      <Field id="up-dsn" label="DSN" autofocus value={dsn} onInput={setDsn} placeholder="e.g. api8.unipile.com:13851" help={<>At the top of the UniPile dashboard, “Your DSN”.</>} />
      <Field id="up-key" label="API key" secret value={key} onInput={setKey} help={<>UniPile dashboard → Access tokens → Generate a token.</>} />
      {list && (
        <UnipileConnect
          dsn={dsn}
          apiKey={key}
          onFound={(a) => {
            setList((l) => (l && !l.some((x) => x.id === a.id) ? [...l, a] : l));
            setChosen((c) => (c.includes(a.id) ? c : [...c, a.id]));
          }}
        />
      )}
      {list && (
        <fieldset class="wizard-choices">
          <legend>WhatsApp accounts behind this key</legend>
          {list.length === 0 && <p class="muted">None yet: link a WhatsApp account in UniPile's dashboard first, then list again.</p>}
          {list.map((a) => (
            <label key={a.id} class="wizard-choice">
              <input
                type="checkbox"
                checked={chosen.includes(a.id)}
                onChange={(e) => setChosen((c) => ((e.target as HTMLInputElement).checked ? [...c, a.id] : c.filter((x) => x !== a.id)))}
              />
              <span dir="auto">{a.name || a.id}</span>
              <span class="muted">{[a.phone, a.status].filter(Boolean).join(' · ')}</span>
            </label>
          ))}
        </fieldset>
      )}
      <div aria-live="polite">{error && <Problem error={error} />}</div>
      <div class="wizard-actions">
        <button type={list ? 'button' : 'submit'} class="wizard-btn" disabled={!dsn.trim() || !key.trim() || busy} onClick={(e) => (e.preventDefault(), listAccounts())}>
          {list ? 'List again' : 'List accounts'}
        </button>
        <button type={list ? 'submit' : 'button'} class="wizard-btn wizard-primary" disabled={!list || chosen.length === 0 || busy} onClick={(e) => (e.preventDefault(), save())}>
          Import {chosen.length || ''} selected
        </button>
      </div>
    </form>
  );
}

/** Reads a picked file's text (the window never needs its path). */
function readFile(input: HTMLInputElement): Promise<{ name: string; text: string } | null> {
  const file = input.files?.[0];
  if (!file) return Promise.resolve(null);
  return file.text().then((text) => ({ name: file.name, text }));
}

function EnvForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
  const [path, setPath] = useState('');
  const [picked, setPicked] = useState<{ name: string; text: string } | null>(null);
  const [found, setFound] = useState<EnvImportDto | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const run = async (f: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e as CommandError);
    } finally {
      setBusy(false);
    }
  };
  const pick = (input: HTMLInputElement) =>
    run(async () => {
      const file = await readFile(input);
      setPicked(file);
      setPath('');
      setFound(file ? await call('wizard_import_env_text', file) : null);
    });
  const read = () => run(async () => setFound(await call('wizard_import_env', { path })));
  const create = () => run(async () => onSaved(picked ? await call('wizard_create_from_env_text', picked) : await call('wizard_create_from_env', { path })));
  const something = found && (found.meta_phone_number_id || found.wasender || found.unipile_dsn);
  return (
    <form
      class="wizard-form"
      aria-label="Import a .env file"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy && (something || path.trim())) (something ? create : read)();
      }}
    >
      <Header title="Import a .env file" onBack={onBack}>
        Wicket reads the variable names WhatsApp integrations commonly use (WHATSAPP_…, WASENDER_…, UNIPILE_…) and lists anything else without guessing.
      </Header>
      <div class="wizard-field">
        <label for="env-file">Choose the .env file</label>
        <input id="env-file" type="file" aria-describedby="env-file-help" onChange={(e) => pick(e.target as HTMLInputElement)} />
        <p class="wizard-help" id="env-file-help">
          Wicket reads the file on this computer; nothing is sent anywhere until it tests each account.
        </p>
      </div>
      <Field
        id="env-path"
        label="Or type its path"
        optional
        value={path}
        onInput={(v) => {
          setPath(v);
          setPicked(null);
          setFound(null);
        }}
        placeholder="/home/you/shop/.env"
        help={<>The full path of the .env file, as your file manager shows it.</>}
      />
      {found && (
        <div class="wizard-found" role="status">
          {picked && <p class="muted">{picked.name}</p>}
          <ul>
            {found.meta_phone_number_id && <li>Meta Cloud API, phone number ID {found.meta_phone_number_id}</li>}
            {found.wasender && <li>A WASender session</li>}
            {found.unipile_dsn && <li>UniPile at {found.unipile_dsn} (its accounts are listed when importing)</li>}
            {!something && <li>No complete account.</li>}
          </ul>
          {found.problems.map((p) => (
            <p class="wizard-warn" key={p}>
              {p}
            </p>
          ))}
          {found.unknown.length > 0 && <p class="muted">Not imported (unknown variables): {found.unknown.join(', ')}</p>}
        </div>
      )}
      <div aria-live="polite">{error && <Problem error={error} />}</div>
      <div class="wizard-actions">
        <button type={something ? 'button' : 'submit'} class="wizard-btn" disabled={!path.trim() || busy} onClick={(e) => (e.preventDefault(), read())}>
          Read the file
        </button>
        <button type={something ? 'submit' : 'button'} class="wizard-btn wizard-primary" disabled={!something || busy} onClick={(e) => (e.preventDefault(), create())}>
          {busy && something ? 'Creating and testing…' : 'Create the accounts'}
        </button>
      </div>
    </form>
  );
}

function ExportForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
  const [doc, setDoc] = useState<{ name: string; text: string } | null>(null);
  const [vault, setVault] = useState<{ name: string; text: string } | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const ready = doc && (!vault || passphrase);
  const importIt = async () => {
    if (!doc) return;
    setBusy(true);
    setError(null);
    try {
      onSaved(await call('wizard_import_export', { name: doc.name, text: doc.text, ...(vault ? { vault_text: vault.text, passphrase } : {}) }));
    } catch (e) {
      setError(e as CommandError);
      setBusy(false);
    }
  };
  return (
    <form
      class="wizard-form"
      aria-label="Import from another computer"
      onSubmit={(e) => {
        e.preventDefault();
        if (!busy && ready) importIt();
      }}
    >
      <Header title="Import from another computer" onBack={onBack}>
        Brings in the accounts and settings of another Wicket (not its conversations). Secrets never travel in an export: re-enter them, or bring the
        encrypted secrets vault made with it.
      </Header>
      <div class="wizard-field">
        <label for="export-file">The export</label>
        <input id="export-file" type="file" accept=".json,application/json" aria-describedby="export-file-help" onChange={(e) => readFile(e.target as HTMLInputElement).then(setDoc)} />
        <p class="wizard-help" id="export-file-help">
          Made on the other computer with <code>wicket export --format json --out export.json</code>.
        </p>
      </div>
      <div class="wizard-field">
        <label for="vault-file">
          Secrets vault <span class="muted">(optional)</span>
        </label>
        <input id="vault-file" type="file" aria-describedby="vault-file-help" onChange={(e) => readFile(e.target as HTMLInputElement).then(setVault)} />
        <p class="wizard-help" id="vault-file-help">
          Made with <code>--vault secrets.vault --passphrase-env VAR</code> on the same export. Without it, each account asks for its secrets again.
        </p>
      </div>
      {vault && (
        <Field
          id="vault-passphrase"
          label="Vault passphrase"
          secret
          value={passphrase}
          onInput={setPassphrase}
          help={<>The passphrase chosen when the vault was made. Wicket uses it once to read the secrets into this computer's keychain.</>}
        />
      )}
      <div aria-live="polite">{error && <Problem error={error} />}</div>
      <div class="wizard-actions">
        <button type="submit" class="wizard-btn wizard-primary" disabled={!ready || busy}>
          {busy ? 'Importing…' : 'Import the accounts'}
        </button>
      </div>
    </form>
  );
}

function Registered({ r }: { r: RegistrationDto }) {
  return (
    <p class={r.outcome === 'registered' ? '' : 'wizard-warn'}>
      <span dir="auto">{r.account_name}</span>:{' '}
      {r.outcome === 'registered' ? 'registered with the provider' : r.outcome === 'failed' ? `not registered (${r.detail})` : `do it by hand (${r.detail})`}
    </p>
  );
}

/** The public address for webhooks: listener, tunnel, registration, check. */
export function PublicAddress({ accountId, onBack }: { accountId: number; onBack: () => void }) {
  const [info, setInfo] = useState<PublicAddressDto | null>(null);
  const [listen, setListen] = useState('');
  const [listener, setListener] = useState<ListenerDto | null>(null);
  const [tunnel, setTunnel] = useState<TunnelStartedDto | null>(null);
  const [publicUrl, setPublicUrl] = useState('');
  const [check, setCheck] = useState<SelfCheckDto | null>(null);
  const { busy, error, setError, run } = useAction<string>();
  useEffect(() => {
    call('wizard_public_address', { account_id: accountId })
      .then((i) => {
        setInfo(i);
        setListen(i.listen);
        setPublicUrl(i.public_url ?? '');
        if (i.listening) setListener({ listening: i.listening, warning: i.listen_warning });
      })
      .catch(setError);
  }, [accountId]);
  const startListener = () => run('listen', async () => setListener(await call('wizard_start_listener', { listen })));
  const startTunnel = (kind: string) =>
    run(kind, async () => {
      const t = await call('wizard_start_tunnel', { account_id: accountId, kind });
      setTunnel(t);
      setPublicUrl(t.public_url);
      setCheck(null);
    });
  // A quick tunnel's address can change while it runs: the shell registers
  // the new one again and says so; a stopped tunnel is said too.
  const [moved, setMoved] = useState<string | null>(null);
  useEffect(() => {
    const off = on('public-address-changed', (c) => {
      if (c.public_url) {
        const url = c.public_url;
        setTunnel((t) => (t ? { ...t, public_url: url, registrations: c.registrations } : t));
        setPublicUrl(url);
        setCheck(null);
        setMoved(`The tunnel's address changed to ${url}; Wicket registered it again where it could. Messages the provider retries to the old address are lost.`);
      } else {
        setTunnel(null);
        setMoved(`The tunnel stopped${c.exit_code != null ? ` (exit code ${c.exit_code})` : ''}: start it again to receive messages.`);
      }
    });
    return () => {
      off.then((f) => f());
    };
  }, []);
  const runCheck = () => run('check', async () => setCheck(await call('wizard_check_public', { account_id: accountId, public_url: publicUrl })));
  const base = (tunnel?.public_url ?? publicUrl).replace(/\/+$/, '') || 'https://<your public address>';
  const mine = tunnel?.registrations.find((r) => r.account_id === accountId);
  return (
    <section class="wizard-form wizard-public" aria-label="A public address for webhooks">
      <Header title="A public address for webhooks" onBack={onBack}>
        {info?.provider === 'wasender' ? 'WASender' : 'Meta'} delivers new messages only to a public HTTPS address, which a computer behind a home router does
        not have. Wicket listens on this computer; a tunnel gives it a public address.
      </Header>
      {info && (
        <>
          <h2>1. The listener on this computer</h2>
          <div class="wizard-field">
            <label for="listen-addr">Listen on</label>
            <input id="listen-addr" value={listen} onInput={(e) => setListen((e.target as HTMLInputElement).value)} aria-describedby="listen-help" spellcheck={false} />
            <p class="wizard-help" id="listen-help">
              127.0.0.1:8765 keeps it on this computer only; the tunnel reaches it there. Wicket starts it again at every launch.
            </p>
          </div>
          <div class="wizard-actions">
            <button type="button" class="wizard-btn" disabled={busy !== null || !listen.trim()} onClick={startListener}>
              {busy === 'listen' ? 'Starting…' : listener ? 'Listen here instead' : 'Start the listener'}
            </button>
          </div>
          {listener && (
            <p role="status" class="wizard-ok-line">
              <CircleCheck size={16} aria-hidden="true" /> Listening on http://{listener.listening}
            </p>
          )}
          {listener?.warning && <p class="wizard-warn">{listener.warning}</p>}

          <h2>2. What the provider needs</h2>
          <CopyValue label="Callback URL" value={`${base}${info.callback_path}`} />
          {info.verify_token && <CopyValue label="Verify token" value={info.verify_token} secret />}

          <h2>3. A tunnel</h2>
          <ul class="wizard-tools">
            {info.tools.map((t) => (
              <li key={t.kind}>
                <strong>{t.label}</strong> <span class="muted">{t.stable ? 'stable address' : 'address changes at every start'}</span>
                {t.installed ? (
                  <button type="button" class="wizard-btn wizard-small" disabled={busy !== null || !listener} onClick={() => startTunnel(t.kind)}>
                    {busy === t.kind ? 'Starting…' : `Start ${t.label}`}
                  </button>
                ) : (
                  <p class="wizard-help">Not installed: {t.hint}.</p>
                )}
              </li>
            ))}
          </ul>
          {!listener && <p class="wizard-help">Start the listener first: the tunnel forwards to it.</p>}
          <p class="wizard-help">{tunnel ? tunnel.note : info.changing_note}</p>
          {moved && (
            <p class="wizard-help wizard-moved" role="alert">
              {moved}
            </p>
          )}
          {tunnel && (
            <div role="status" class="wizard-found">
              <p>
                Public address: <code>{tunnel.public_url}</code>
              </p>
              {mine && <Registered r={mine} />}
              {tunnel.registrations.length > (mine ? 1 : 0) && (
                <details>
                  <summary>
                    Your other accounts ({tunnel.registrations.filter((r) => r.outcome === 'registered' && r !== mine).length} of{' '}
                    {tunnel.registrations.length - (mine ? 1 : 0)} registered)
                  </summary>
                  {tunnel.registrations
                    .filter((r) => r !== mine)
                    .map((r) => (
                      <Registered key={r.account_id} r={r} />
                    ))}
                </details>
              )}
            </div>
          )}
          {(mine ? mine.what_to_paste_where : !tunnel && info.manual_step) && (
            <div class="wizard-manual">
              <h2>What to paste where</h2>
              <p>{mine?.what_to_paste_where ?? info.manual_step}</p>
            </div>
          )}

          <h2>4. Check it end to end</h2>
          <div class="wizard-field">
            <label for="public-url">Public address</label>
            <input
              id="public-url"
              value={publicUrl}
              placeholder="https://…"
              spellcheck={false}
              aria-describedby="public-url-help"
              onInput={(e) => setPublicUrl((e.target as HTMLInputElement).value)}
            />
            <p class="wizard-help" id="public-url-help">
              The tunnel's address, or your own HTTPS address that forwards to the listener. Check sends a signed test event to it, as the provider would.
            </p>
          </div>
          <div class="wizard-actions">
            <button type="button" class="wizard-btn wizard-primary" disabled={busy !== null || !publicUrl.trim()} onClick={runCheck}>
              {busy === 'check' ? 'Checking…' : 'Check'}
            </button>
          </div>
          {check && (
            <div class={`wizard-result ${check.passed ? 'wizard-ok' : 'wizard-fail'}`} role={check.passed ? 'status' : 'alert'}>
              {check.passed ? <CircleCheck size={18} aria-hidden="true" /> : <CircleAlert size={18} aria-hidden="true" />}
              <div>
                <p>
                  <strong>{check.passed ? 'It works end to end' : 'Not reachable yet'}</strong>
                </p>
                <ul class="wizard-steps">
                  {check.steps.map((st) => (
                    <li key={st.name} class={st.status === 'passed' ? '' : 'wizard-warn'}>
                      {st.status === 'passed' ? '✓' : st.status === 'failed' ? '✗' : '–'} {st.detail}
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          )}
        </>
      )}
      <div aria-live="polite">{error && <Problem error={error} />}</div>
      <div class="wizard-actions">
        <button type="button" class="wizard-btn" onClick={onBack}>
          Done
        </button>
      </div>
    </section>
  );
}

const STEP_TEXT: Record<string, string> = {
  templates: 'Message templates',
  contacts: 'Contacts',
  messages: 'Recent messages',
  done: 'Done',
};

function FirstSync({ added, onDone, onPublic }: { added: WizardAddedDto[]; onDone: (id: number | null) => void; onPublic: (id: number) => void }) {
  const [progress, setProgress] = useState<{ step: string; done: number; total: number }>({ step: 'starting', done: 0, total: 1 });
  const [results, setResults] = useState<FirstSyncStepDto[]>([]);
  const [error, setError] = useState<CommandError | null>(null);
  const [finished, setFinished] = useState(false);
  const openRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const stop = on('wizard-progress', (p) => setProgress(p));
    (async () => {
      for (const a of added) {
        // Without its secrets (imported from another computer) nothing can sync yet.
        if (a.account.status === 'needs_token') continue;
        try {
          const steps = await call('wizard_first_sync', { account_id: a.account.id });
          setResults((r) => [...r, ...steps]);
        } catch (e) {
          setError(e as CommandError);
        }
      }
      setProgress((p) => ({ step: 'done', done: p.total, total: p.total }));
      setFinished(true);
    })();
    return () => {
      stop.then((s) => s());
    };
  }, []);
  useEffect(() => {
    if (finished) openRef.current?.focus();
  }, [finished]);
  const first = added[0];
  const percent = Math.round((100 * progress.done) / Math.max(1, progress.total));
  return (
    <section class="wizard-form" aria-label="First sync">
      <Header title={finished ? 'All set' : 'Getting your inbox ready'}>
        {added.map((a) => a.account.name).join(', ')}
        {added.length === 1 && first.account.phone ? ` · ${first.account.phone}` : ''}
      </Header>
      {added.map((a) =>
        a.warning ? (
          <div class="wizard-result wizard-warn-box" role="status" key={a.account.id}>
            <CircleAlert size={18} aria-hidden="true" />
            <div>
              <p>
                <strong dir="auto">{a.account.name}</strong> is saved but not verified yet: {a.warning.message}
              </p>
              <p class="muted">{advice(a.warning)}</p>
            </div>
          </div>
        ) : null,
      )}
      <div class="wizard-progress">
        <label for="wizard-progress">{finished ? 'First sync finished' : `Syncing: ${STEP_TEXT[progress.step] ?? 'starting'}…`}</label>
        <progress id="wizard-progress" max={100} value={percent} aria-valuetext={`${percent}%`} />
      </div>
      {results.length > 0 && (
        <ul class="wizard-steps">
          {results.map((r, i) => (
            <li key={i} class={r.error ? 'wizard-warn' : ''}>
              {STEP_TEXT[r.step] ?? r.step}: {r.error ? `not synced (${r.error.message})` : `${r.count ?? 0}`}
            </li>
          ))}
        </ul>
      )}
      {error && <Problem error={error} />}
      {added.some((a) => a.webhook_path) && (
        <div class="wizard-webhook">
          <h2>Webhooks</h2>
          <p>
            Meta and WASender deliver new messages to a public HTTPS address. Point the provider's webhook at your public address followed by the path below
            {added.some((a) => a.verify_token) ? ', with this verify token. It is shown only now: copy it.' : '.'}
          </p>
          {added
            .filter((a) => a.webhook_path)
            .map((a) => (
              <dl key={a.account.id}>
                <dt>Callback path</dt>
                <dd>
                  <code>{a.webhook_path}</code>
                </dd>
                {a.verify_token && (
                  <>
                    <dt>Verify token</dt>
                    <dd>
                      <code class="wizard-token">{a.verify_token}</code>
                    </dd>
                  </>
                )}
              </dl>
            ))}
          <button type="button" class="wizard-btn" onClick={() => onPublic(added.find((a) => a.webhook_path)!.account.id)}>
            Set up the public address
          </button>
        </div>
      )}
      <div class="wizard-actions">
        <button type="button" ref={openRef} class="wizard-btn wizard-primary" disabled={!finished} onClick={() => onDone(first?.account.id ?? null)}>
          Open the inbox
        </button>
      </div>
    </section>
  );
}

export function Wizard({ first, onDone }: WizardProps) {
  const [step, setStep] = useState<Step>('welcome');
  const [added, setAdded] = useState<WizardAddedDto[]>([]);
  const [publicFor, setPublicFor] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const saved = (a: WizardAddedDto[]) => {
    setAdded(a);
    setStep('sync');
  };
  const back = () => setStep('welcome');
  const demo = async () => {
    setBusy(true);
    setError(null);
    try {
      const account = await call('wizard_add_demo');
      saved([{ account, verify_token: null, webhook_path: null, connection: null, warning: null }]);
    } catch (e) {
      setError(e as CommandError);
    } finally {
      setBusy(false);
    }
  };
  let body;
  if (step === 'meta') body = <MetaForm onBack={back} onSaved={saved} />;
  else if (step === 'wasender') body = <WasenderForm onBack={back} onSaved={saved} />;
  else if (step === 'unipile') body = <UnipileForm onBack={back} onSaved={saved} />;
  else if (step === 'env') body = <EnvForm onBack={back} onSaved={saved} />;
  else if (step === 'export') body = <ExportForm onBack={back} onSaved={saved} />;
  else if (step === 'sync' || step === 'public')
    // The first sync stays mounted (its results) while the public address is set up.
    body = (
      <>
        <div hidden={step === 'public'}>
          <FirstSync added={added} onDone={onDone} onPublic={(id) => (setPublicFor(id), setStep('public'))} />
        </div>
        {step === 'public' && publicFor !== null && <PublicAddress accountId={publicFor} onBack={() => setStep('sync')} />}
      </>
    );
  else
    body = (
      <section class="wizard-form" aria-label="Add a WhatsApp number">
        <Header title={first ? 'Connect a WhatsApp number' : 'Add a WhatsApp number'} onBack={first ? undefined : () => onDone(null)}>
          {first ? 'Welcome to Wicket. ' : ''}Choose how your number reaches WhatsApp. Each way takes a few minutes; every field is explained.
        </Header>
        <ul class="wizard-providers">
          <li>
            <button type="button" class="wizard-card" onClick={() => setStep('meta')}>
              <strong>WhatsApp Cloud API (Meta)</strong>
              <span class="muted">The official API. Needs a Meta business app; templates and the 24-hour window apply.</span>
            </button>
          </li>
          <li>
            <button type="button" class="wizard-card" onClick={() => setStep('wasender')}>
              <strong>WASender</strong>
              <span class="muted">Links the WhatsApp on your phone through a WASender session and its API key.</span>
            </button>
          </li>
          <li>
            <button type="button" class="wizard-card" onClick={() => setStep('unipile')}>
              <strong>UniPile</strong>
              <span class="muted">Brings in WhatsApp accounts linked in UniPile. Polled, so no public address is needed.</span>
            </button>
          </li>
        </ul>
        <div class="wizard-alt">
          <button type="button" class="wizard-btn" disabled={busy} onClick={demo}>
            <Play size={16} aria-hidden="true" /> Try the demo
          </button>
          <button type="button" class="wizard-btn" onClick={() => setStep('env')}>
            <FileText size={16} aria-hidden="true" /> Import a .env file
          </button>
          <button type="button" class="wizard-btn" onClick={() => setStep('export')}>
            <Laptop size={16} aria-hidden="true" /> Import from another computer
          </button>
        </div>
        <p class="wizard-help">The demo is a clearly marked sample shop with simulated customers: nothing leaves this computer, and it is removable later.</p>
        {error && <Problem error={error} />}
      </section>
    );
  return <main class="wizard">{body}</main>;
}
