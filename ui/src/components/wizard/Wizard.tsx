// The setup wizard: from first launch (or "+ Add account") to a working
// account. Every field says in plain words what it is and where to find it;
// "Test connection" shows the provider's answer or the reason and what to
// do; a first sync with a progress bar ends it. All logic is in the shell's
// wizard_* commands; secrets typed here go straight to the secret store.

import { FileText, Laptop, Play } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { call } from '../../api';
import type { CommandError, WizardAddedDto } from '../../bindings';
import { Problem, Header } from './common';
import { MetaForm } from './MetaForm';
import { WasenderForm } from './WasenderForm';
import { UnipileForm } from './UnipileForm';
import { EnvForm } from './EnvForm';
import { ExportForm } from './ExportForm';
import { PublicAddress } from '../PublicAddressSetup';
import { FirstSync } from './FirstSync';

type Step = 'welcome' | 'meta' | 'wasender' | 'unipile' | 'env' | 'export' | 'sync' | 'public';

export interface WizardProps {
  /** First launch: no account yet, so there is nothing to go back to. */
  first: boolean;
  /** The wizard is finished (the account to open, if any) or cancelled. */
  onDone: (accountId: number | null) => void;
  /** The demo account, if there is one already: "Try the demo" opens it instead of adding a second. */
  existingDemo?: number | null;
}

export function Wizard({ first, onDone, existingDemo }: WizardProps) {
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
    if (existingDemo != null) return onDone(existingDemo);
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
