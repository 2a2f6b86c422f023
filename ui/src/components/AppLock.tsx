// The app lock (issue 15): the gate around the whole window, its lock screen,
// and Settings → App lock. While locked the inbox is not rendered at all
// (App is unmounted: no message, name or preview in the page, not merely
// covered), and the shell refuses every content command anyway
// (`AppState::store`). The lock engages on demand (the rail's button, Ctrl+L,
// the palette), after `lock_after_minutes` without input, and at start when
// it was locked when Wicket stopped (the state is in the store).

import { Lock } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, on } from '../api';
import type { CommandError, LockStatusDto } from '../bindings';
import { applyTheme } from '../theme';
import { SettingsSection } from './Settings';

/** Locked here or elsewhere (a command was refused as locked): the gate looks again. */
export const LOCKED = 'wicket-locked';

/**
 * Locks now (the rail's button, Ctrl+L, the palette); rejects with what to
 * do when no passphrase is set yet.
 */
export const lockNow = () => call('lock_now').then(() => void window.dispatchEvent(new Event(LOCKED)));

/** How often the idle time is compared with the last input. */
const IDLE_CHECK = 10_000;

export function LockGate({ children }: { children: ComponentChildren }) {
  const [status, setStatus] = useState<LockStatusDto | null>(null);
  const refresh = useCallback(() => {
    call('lock_status')
      .then(setStatus)
      .catch(() => undefined);
  }, []);

  // The theme is the gate's too: the lock screen is drawn before (and without) the inbox.
  useEffect(() => {
    call('get_preferences')
      .then((p) => applyTheme(p.theme))
      .catch(() => undefined);
    refresh();
    const stop = on('store-changed', refresh);
    window.addEventListener(LOCKED, refresh);
    return () => {
      void stop.then((f) => f());
      window.removeEventListener(LOCKED, refresh);
    };
  }, [refresh]);

  const enabled = !!status?.enabled;
  const locked = !!status?.locked;
  // Idle: any input counts as use; none for the set minutes locks.
  const minutes = status?.lock_after_minutes ?? 0;
  useEffect(() => {
    if (!enabled || locked || minutes <= 0) return;
    let last = Date.now();
    const touch = () => {
      last = Date.now();
    };
    const inputs = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    inputs.forEach((t) => window.addEventListener(t, touch, { capture: true, passive: true }));
    const timer = window.setInterval(() => {
      if (Date.now() - last >= minutes * 60_000) {
        call('lock_now')
          .then(setStatus)
          .catch(() => undefined);
      }
    }, IDLE_CHECK);
    return () => {
      inputs.forEach((t) => window.removeEventListener(t, touch, { capture: true }));
      window.clearInterval(timer);
    };
  }, [enabled, locked, minutes]);

  if (!status) return null;
  if (status.locked) return <LockScreen status={status} onUnlocked={setStatus} />;
  return <>{children}</>;
}

function LockScreen({ status, onUnlocked }: { status: LockStatusDto; onUnlocked: (s: LockStatusDto) => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  const unlock = (e: Event) => {
    e.preventDefault();
    if (!passphrase || busy) return;
    setBusy(true);
    call('unlock_app', { passphrase })
      .then(onUnlocked)
      .catch((err: CommandError) => {
        setError(err);
        setPassphrase('');
        field.current?.focus();
      })
      .finally(() => setBusy(false));
  };
  return (
    <main class="lock-screen" aria-labelledby="lock-title">
      <form class="lock-card" onSubmit={unlock}>
        <Lock size={32} aria-hidden="true" class="lock-icon" />
        <h1 id="lock-title">Wicket is locked</h1>
        <p class="lock-note" id="lock-note">
          {status.not_encryption}
        </p>
        <label for="lock-passphrase">Passphrase</label>
        <input
          id="lock-passphrase"
          ref={field}
          type="password"
          autoComplete="current-password"
          value={passphrase}
          aria-describedby="lock-note"
          aria-invalid={error ? 'true' : undefined}
          onInput={(e) => setPassphrase(e.currentTarget.value)}
        />
        {error && (
          <p class="lock-error" role="alert">
            {error.message}
          </p>
        )}
        <button type="submit" class="wizard-btn" disabled={busy || !passphrase}>
          Unlock
        </button>
      </form>
    </main>
  );
}

const IDLE_CHOICES = [0, 1, 5, 10, 15, 30, 60];

/** Settings → App lock: turn on (twice), change, turn off, the idle time. */
export function AppLockSettings() {
  const [status, setStatus] = useState<LockStatusDto | null>(null);
  const [mode, setMode] = useState<'idle' | 'set' | 'off'>('idle');
  const [current, setCurrent] = useState('');
  const [first, setFirst] = useState('');
  const [second, setSecond] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    call('lock_status')
      .then(setStatus)
      .catch(() => undefined);
  }, []);
  if (!status) return null;
  const reset = (message: string | null) => {
    setMode('idle');
    setCurrent('');
    setFirst('');
    setSecond('');
    setError(null);
    setDone(message);
  };
  const fail = (e: CommandError) => setError(e.message);
  const save = (e: Event) => {
    e.preventDefault();
    if (first !== second) return setError('The two passphrases differ: type the same one twice.');
    call('lock_set_passphrase', { passphrase: first, current: status.enabled ? current : null })
      .then((s) => {
        setStatus(s);
        reset(status.enabled ? 'The passphrase was changed.' : 'The app lock is on: lock with Ctrl+L or the lock button.');
      })
      .catch(fail);
  };
  const turnOff = (e: Event) => {
    e.preventDefault();
    call('lock_turn_off', { passphrase: current })
      .then((s) => {
        setStatus(s);
        reset('The app lock is off.');
      })
      .catch(fail);
  };
  return (
    <SettingsSection id="applock" title="App lock">
      <p class="settings-help">{status.not_encryption}</p>
      <p class="settings-help" role="status">
        {done ?? (status.enabled ? 'The app lock is on.' : 'The app lock is off.')}
      </p>
      {mode === 'idle' && (
        <div class="settings-actions">
          <button type="button" class="wizard-btn wizard-small" onClick={() => (setMode('set'), setDone(null))}>
            {status.enabled ? 'Change passphrase' : 'Turn on'}
          </button>
          {status.enabled && (
            <button type="button" class="wizard-btn wizard-small wizard-secondary" onClick={() => (setMode('off'), setDone(null))}>
              Turn off
            </button>
          )}
        </div>
      )}
      {mode !== 'idle' && (
        <form class="applock-form" onSubmit={mode === 'set' ? save : turnOff} aria-label={mode === 'off' ? 'Turn the app lock off' : 'Set the app lock passphrase'}>
          {status.enabled && (
            <label class="backup-field">
              Current passphrase
              <input type="password" autoComplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} />
            </label>
          )}
          {mode === 'set' && (
            <>
              <label class="backup-field">
                New passphrase
                <input type="password" autoComplete="new-password" value={first} onInput={(e) => setFirst(e.currentTarget.value)} />
              </label>
              <label class="backup-field">
                Repeat the new passphrase
                <input type="password" autoComplete="new-password" value={second} onInput={(e) => setSecond(e.currentTarget.value)} />
              </label>
            </>
          )}
          {error && (
            <p class="settings-error" role="alert">
              {error}
            </p>
          )}
          <div class="settings-actions">
            <button type="submit" class="wizard-btn wizard-small">
              {mode === 'off' ? 'Turn off' : 'Save passphrase'}
            </button>
            <button type="button" class="wizard-btn wizard-small wizard-secondary" onClick={() => reset(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <div class="settings-row">
        <label for="applock-idle">Lock after</label>
        <select
          id="applock-idle"
          value={String(status.lock_after_minutes)}
          disabled={!status.enabled}
          onChange={(e) =>
            call('lock_set_idle', { minutes: Number(e.currentTarget.value) })
              .then(setStatus)
              .catch(fail)
          }
        >
          {[...new Set([...IDLE_CHOICES, status.lock_after_minutes])]
            .sort((a, b) => a - b)
            .map((m) => (
              <option value={String(m)}>{m === 0 ? 'Only when I lock it' : `${m} minute${m === 1 ? '' : 's'} without input`}</option>
            ))}
        </select>
      </div>
    </SettingsSection>
  );
}
