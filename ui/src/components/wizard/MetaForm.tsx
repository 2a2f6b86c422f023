// The wizard's Meta (WhatsApp Cloud API) step: ids, token and app secret, a
// test against the Graph API, then saving.

import { useState } from 'preact/hooks';
import { call } from '../../api';
import { useAction } from '../../hooks';
import type { ConnectionInfoDto, WizardAddedDto, WizardMetaArgs } from '../../bindings';
import { Problem, Connected, Field, Header } from './common';

export function MetaForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
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
