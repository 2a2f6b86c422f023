// The public address for webhooks (listener, tunnel, registration, check):
// a step of the wizard and a screen of Settings → Accounts.

import { CircleAlert, CircleCheck } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { call, on } from '../api';
import { useAction } from '../hooks';
import type { ListenerDto, PublicAddressDto, RegistrationDto, SelfCheckDto, TunnelStartedDto } from '../bindings';
import { Problem, Header, CopyValue } from './wizard/common';

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
