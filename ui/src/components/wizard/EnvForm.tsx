// The wizard's .env step: a picked file's text read by the shell, the
// accounts found, offline ones kept "not yet verified".

import { useState } from 'preact/hooks';
import { call } from '../../api';
import type { CommandError, EnvImportDto, WizardAddedDto } from '../../bindings';
import { Problem, Field, Header, readFile } from './common';

export function EnvForm({ onBack, onSaved }: { onBack: () => void; onSaved: (a: WizardAddedDto[]) => void }) {
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
