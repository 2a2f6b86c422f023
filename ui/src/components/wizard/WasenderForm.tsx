// The wizard's WASender step: the session's API key, tested before saving.

import { useState } from 'preact/hooks';
import { call } from '../../api';
import { useAction } from '../../hooks';
import type { ConnectionInfoDto, WizardAddedDto, WizardWasenderArgs } from '../../bindings';
import { Problem, Connected, Field, Header } from './common';

export function WasenderForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
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
