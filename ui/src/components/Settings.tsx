// The Settings panel, opened from the rail's gear: a dialog of sections
// (notifications, window, chats, accounts, background jobs, backups, about). Every change is saved at once through
// `set_preferences`; the shell checks it (quiet hours must be HH:MM) and
// answers with what it stored, which is what the panel then shows.

import { X } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useEscape } from '../hooks';
import { call } from '../api';
import type { AboutDto, CommandError, Folder, PreferencesDto } from '../bindings';
import { BackupSettings } from './BackupSettings';
import { JobsSettings } from './JobsSettings';

/** One titled section of the panel; other panels' sections use it too. */
export function SettingsSection({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section class="settings-section" aria-labelledby={`settings-${id}`}>
      <h2 id={`settings-${id}`}>{title}</h2>
      {children}
    </section>
  );
}

function Toggle(p: { label: string; help?: string; checked: boolean; disabled?: boolean; onChange: (on: boolean) => void }) {
  const id = `pref-${p.label.toLowerCase().replace(/[^a-z]+/g, '-')}`;
  return (
    <div class="settings-row">
      <input id={id} type="checkbox" role="switch" checked={p.checked} disabled={p.disabled} aria-describedby={p.help ? `${id}-help` : undefined} onChange={(e) => p.onChange(e.currentTarget.checked)} />
      <div>
        <label for={id}>{p.label}</label>
        {p.help && (
          <p id={`${id}-help`} class="settings-help">
            {p.help}
          </p>
        )}
      </div>
    </div>
  );
}

const DEFAULT_QUIET = { from: '22:00', to: '07:00' };

export interface SettingsProps {
  onClose: () => void;
  /** More sections, mounted after the built-in ones (e.g. Accounts). */
  children?: ComponentChildren;
}

export function Settings({ onClose, children }: SettingsProps) {
  const [prefs, setPrefs] = useState<PreferencesDto | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [about, setAbout] = useState<AboutDto | null>(null);
  const dialog = useRef<HTMLDivElement>(null);

  useEffect(() => {
    call('get_preferences').then(setPrefs).catch(setError);
    call('app_about').then(setAbout).catch(setError);
  }, []);

  const open = (folder: Folder) => call('open_folder', { folder }).catch(setError);

  // Escape closes; focus starts inside the dialog.
  useEffect(() => dialog.current?.focus(), []);
  useEscape(onClose);

  const save = (change: Partial<PreferencesDto>) => {
    if (!prefs) return;
    const next = { ...prefs, ...change };
    setPrefs(next); // shown at once; the shell's answer (or refusal) settles it
    call('set_preferences', next)
      .then((stored) => {
        setPrefs(stored);
        setError(null);
      })
      .catch((e: CommandError) => {
        setError(e);
        call('get_preferences').then(setPrefs).catch(() => undefined);
      });
  };

  const quiet = prefs?.quiet_hours ?? null;
  return (
    <div class="settings-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="settings" role="dialog" aria-modal="true" aria-labelledby="settings-title" tabIndex={-1} ref={dialog}>
        <header class="settings-head">
          <h1 id="settings-title">Settings</h1>
          <button type="button" class="icon-btn" aria-label="Close settings" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        {error && (
          <p class="settings-error" role="alert">
            {error.message}
          </p>
        )}
        {!prefs ? (
          <p class="muted">Loading…</p>
        ) : (
          <div class="settings-body">
            <SettingsSection id="notifications" title="Notifications">
              <Toggle
                label="Notify me of new messages"
                help="The customer's name and a preview; never for the chat you are looking at or muted chats."
                checked={prefs.notifications}
                onChange={(on) => save({ notifications: on })}
              />
              <Toggle
                label="Do not disturb"
                help="No notifications until you switch this off."
                checked={prefs.do_not_disturb}
                disabled={!prefs.notifications}
                onChange={(on) => save({ do_not_disturb: on })}
              />
              <Toggle
                label="Quiet hours"
                help="No notifications between these times every day (your local time)."
                checked={quiet !== null}
                disabled={!prefs.notifications}
                onChange={(on) => save({ quiet_hours: on ? DEFAULT_QUIET : null })}
              />
              {quiet && (
                <div class="settings-times">
                  <label>
                    From
                    <input type="time" value={quiet.from} disabled={!prefs.notifications} onChange={(e) => save({ quiet_hours: { ...quiet, from: e.currentTarget.value } })} />
                  </label>
                  <label>
                    To
                    <input type="time" value={quiet.to} disabled={!prefs.notifications} onChange={(e) => save({ quiet_hours: { ...quiet, to: e.currentTarget.value } })} />
                  </label>
                </div>
              )}
            </SettingsSection>
            <SettingsSection id="window" title="Window">
              <Toggle
                label="Keep running in the tray when closed"
                help={
                  prefs.tray_available
                    ? 'Closing the window keeps Wicket receiving messages; quit from the tray icon.'
                    : 'This desktop has no tray: closing the window quits Wicket.'
                }
                checked={prefs.close_to_tray}
                onChange={(on) => save({ close_to_tray: on })}
              />
              <Toggle label="Start Wicket when I log in" checked={prefs.start_at_login} onChange={(on) => save({ start_at_login: on })} />
            </SettingsSection>
            <SettingsSection id="chats" title="Chats">
              <Toggle
                label="Typing indicator"
                help="While you write an answer, a waiting customer sees “typing…” (WhatsApp Cloud API accounts). It also marks their message read, so it stays off while read receipts are off."
                checked={prefs.typing_indicator}
                onChange={(on) => save({ typing_indicator: on })}
              />
            </SettingsSection>
            {/* ---- More sections (the Accounts section: <AccountsSettings/> from
                 ./AccountsSettings.tsx) are passed as children by App.tsx and
                 mounted here, each wrapped in <SettingsSection>. ---- */}
            {children}
            <JobsSettings />
            <BackupSettings />
            {about && (
              <SettingsSection id="about" title="About">
                <dl class="settings-about">
                  <dt>Version</dt>
                  <dd>
                    Wicket {about.version} · store schema {about.store_schema_version}
                  </dd>
                  <dt>Data folder</dt>
                  <dd>
                    <code>{about.data_dir}</code>
                  </dd>
                  <dt>Logs</dt>
                  <dd>
                    <code>{about.logs_dir}</code>
                  </dd>
                </dl>
                <p class="settings-help">Messages, media and settings stay in the data folder when Wicket is removed or updated.</p>
                <div class="settings-actions">
                  <button type="button" class="wizard-btn" onClick={() => open('data')}>
                    Open data folder
                  </button>
                  <button type="button" class="wizard-btn" onClick={() => open('logs')}>
                    Open logs
                  </button>
                </div>
              </SettingsSection>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
