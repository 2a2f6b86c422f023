// The wizard's "import from another computer" step: an export and its vault.

import { useState } from 'preact/hooks';
import { call } from '../../api';
import type { CommandError, WizardAddedDto } from '../../bindings';
import { Problem, Field, Header, readFile } from './common';

export function ExportForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
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
