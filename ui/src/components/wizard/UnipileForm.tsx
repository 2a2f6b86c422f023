// The wizard's UniPile step: the DSN and key, the accounts to bring in, and
// hosted sign-in for a new one.

import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../../api';
import type { CommandError, UnipileAccountDto, WizardAddedDto } from '../../bindings';
import { Problem, Field, Header, CopyValue } from './common';

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

export function UnipileForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
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
