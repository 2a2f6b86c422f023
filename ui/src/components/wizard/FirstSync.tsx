// The wizard's last step: the first sync with its progress, then the way on.

import { CircleAlert } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, on } from '../../api';
import type { CommandError, FirstSyncStepDto, WizardAddedDto } from '../../bindings';
import { advice, Problem, Header } from './common';

const STEP_TEXT: Record<string, string> = {
  templates: 'Message templates',
  contacts: 'Contacts',
  messages: 'Recent messages',
  done: 'Done',
};

export function FirstSync({ added, onDone, onPublic }: { added: WizardAddedDto[]; onDone: (id: number | null) => void; onPublic: (id: number) => void }) {
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
