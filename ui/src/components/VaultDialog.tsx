// The vault passphrase, on a computer without a keychain. The first time it
// creates the vault (a strength hint as the owner types, the passphrase twice,
// and a plain warning that a lost passphrase cannot be recovered); every later
// launch it unlocks it. The shell then starts sending again (`unlock_vault`).

import { KeyRound, TriangleAlert } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, PassphraseStrengthDto } from '../bindings';
import { useEscape } from '../hooks';

export interface VaultDialogProps {
  /** Whether the vault exists (unlock it) or not (create it); null: ask the shell. */
  vaultExists: boolean | null;
  /** true once the vault is open; false for "Not now". */
  onDone: (unlocked: boolean) => void;
}

const STRENGTH_WORDS = ['Very weak', 'Weak', 'Fair', 'Strong', 'Very strong'];

export function VaultDialog({ vaultExists, onDone }: VaultDialogProps) {
  const [exists, setExists] = useState<boolean | null>(vaultExists);
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  // The strength of `passphrase` as last measured (null while it changes).
  const [measured, setMeasured] = useState<{ of: string; strength: PassphraseStrengthDto } | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const create = exists === false;

  useEffect(() => {
    if (exists !== null) return;
    call('vault_status')
      .then((s) => {
        if (!s.needs_passphrase) onDone(true);
        else setExists(s.vault_exists);
      })
      .catch(setError);
  }, []);
  useEffect(() => first.current?.focus(), [exists]);
  useEscape(() => onDone(false));

  // The strength of a new passphrase, a moment after the last keystroke.
  useEffect(() => {
    if (!create || !passphrase) return;
    const t = window.setTimeout(() => {
      call('passphrase_strength', { passphrase })
        .then((strength) => setMeasured({ of: passphrase, strength }))
        .catch(() => setMeasured(null));
    }, 150);
    return () => window.clearTimeout(t);
  }, [passphrase, create]);

  const strength = measured && measured.of === passphrase ? measured.strength : null;
  const mismatch = create && repeat.length > 0 && repeat !== passphrase;
  const ready = passphrase.length > 0 && (!create || (!!strength?.acceptable && repeat === passphrase));

  const submit = (e: Event) => {
    e.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    call('unlock_vault', { passphrase, create })
      .then(() => onDone(true))
      .catch((err: CommandError) => {
        setError(err);
        setBusy(false);
        if (!create) {
          setPassphrase('');
          first.current?.focus();
        }
      });
  };

  if (exists === null) return null;
  const title = create ? 'Protect your accounts’ keys' : 'Unlock your vault';
  return (
    <div class="settings-backdrop vault-backdrop">
      <form class="settings vault" role="dialog" aria-modal="true" aria-labelledby="vault-title" aria-describedby="vault-intro" onSubmit={submit}>
        <header class="settings-head">
          <h1 id="vault-title">
            <KeyRound size={20} aria-hidden="true" /> {title}
          </h1>
        </header>
        <p id="vault-intro">
          {create
            ? 'This computer has no keychain, so Wicket keeps your accounts’ keys in an encrypted vault file. Choose a passphrase to lock it; Wicket asks for it each time it starts.'
            : 'This computer has no keychain: your accounts’ keys are in an encrypted vault. Enter its passphrase to start sending and receiving.'}
        </p>
        <div class="wizard-field">
          <label for="vault-passphrase">{create ? 'New passphrase' : 'Passphrase'}</label>
          <input
            ref={first}
            id="vault-passphrase"
            type="password"
            autocomplete={create ? 'new-password' : 'current-password'}
            spellcheck={false}
            value={passphrase}
            aria-describedby={create ? 'vault-strength' : undefined}
            aria-invalid={error?.code === 'passphrase_wrong' ? true : undefined}
            onInput={(e) => setPassphrase(e.currentTarget.value)}
          />
          {create && (
            <div id="vault-strength" class="vault-strength" aria-live="polite">
              <div class={`vault-meter score-${strength?.score ?? 0}`} aria-hidden="true">
                {[0, 1, 2, 3].map((i) => (
                  <span key={i} class={strength && passphrase && i < Math.max(1, strength.score) ? 'on' : ''} />
                ))}
              </div>
              <p class="wizard-help">
                {passphrase && strength ? (
                  <>
                    <strong>{STRENGTH_WORDS[strength.score]}.</strong> {strength.hint}
                  </>
                ) : (
                  'A few unrelated words are easy to remember and hard to guess.'
                )}
              </p>
            </div>
          )}
        </div>
        {create && (
          <div class="wizard-field">
            <label for="vault-repeat">Repeat the passphrase</label>
            <input
              id="vault-repeat"
              type="password"
              autocomplete="new-password"
              spellcheck={false}
              value={repeat}
              aria-invalid={mismatch ? true : undefined}
              aria-describedby="vault-repeat-help"
              onInput={(e) => setRepeat(e.currentTarget.value)}
            />
            <p class="wizard-help" id="vault-repeat-help">
              {mismatch ? 'The two passphrases differ.' : ' '}
            </p>
          </div>
        )}
        {create && (
          <p class="vault-warning" role="note">
            <TriangleAlert size={16} aria-hidden="true" />
            <span>
              <strong>Write it down and keep it safe.</strong> Nobody can recover a lost passphrase, not even Wicket: you would have to enter every account’s
              keys again.
            </span>
          </p>
        )}
        {error && (
          <p class="settings-error" role="alert">
            {error.message}
          </p>
        )}
        <div class="wizard-actions">
          <button type="button" class="wizard-btn" onClick={() => onDone(false)}>
            Not now
          </button>
          <button type="submit" class="wizard-btn wizard-primary" disabled={!ready || busy}>
            {busy ? (create ? 'Creating…' : 'Unlocking…') : create ? 'Create vault' : 'Unlock'}
          </button>
        </div>
      </form>
    </div>
  );
}
