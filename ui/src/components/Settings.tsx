// The Settings panel, opened from the rail's gear: a dialog of sections
// (notifications, window, chats, accounts, quick replies, opening hours and
// automatic replies, background jobs, storage, backups, about). Every change is saved at once through
// `set_preferences`; the shell checks it (quiet hours must be HH:MM) and
// answers with what it stored, which is what the panel then shows.

import { X } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useEscape } from '../hooks';
import { call } from '../api';
import type { AboutDto, CommandError, Folder, PreferencesDto } from '../bindings';
import { BackupSettings } from './BackupSettings';
import { AppLockSettings } from './AppLock';
import { StorageSettings } from './StorageSettings';
import { JobsSettings } from './JobsSettings';
import { applyTheme } from '../theme';
import { QuickRepliesSettings } from './QuickRepliesSettings';
import { AutoRepliesSettings } from './AutoRepliesSettings';

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
const THEMES: [string, string][] = [
  ['system', 'Follow the system'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

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
    if (change.theme) applyTheme(change.theme);
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
                label="Show message previews"
                help="What the customer wrote, in the notification. Off: only who wrote."
                checked={prefs.notification_previews}
                disabled={!prefs.notifications}
                onChange={(on) => save({ notification_previews: on })}
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
                // Without a tray there is nothing to keep running in: off, and not offered.
                checked={prefs.close_to_tray && prefs.tray_available}
                disabled={!prefs.tray_available}
                onChange={(on) => save({ close_to_tray: on })}
              />
              <Toggle label="Start Wicket when I log in" checked={prefs.start_at_login} onChange={(on) => save({ start_at_login: on })} />
              <fieldset class="settings-choice">
                <legend>Theme</legend>
                {THEMES.map(([value, label]) => (
                  <label key={value}>
                    <input type="radio" name="theme" value={value} checked={prefs.theme === value} onChange={() => save({ theme: value })} /> {label}
                  </label>
                ))}
              </fieldset>
            </SettingsSection>
            <SettingsSection id="messages" title="Messages and contacts">
              <label class="settings-field">
                <span>Default country</span>
                <input
                  type="text"
                  maxLength={2}
                  size={4}
                  value={prefs.default_country}
                  aria-describedby="pref-country-help"
                  onChange={(e) => save({ default_country: e.currentTarget.value.trim().toUpperCase() })}
                />
              </label>
              <p id="pref-country-help" class="settings-help">
                A number typed without a country code (07911 123456) is read as this country's: a two-letter code such as GB, US or DE.
              </p>
              <label class="settings-field">
                <span>Time zone</span>
                <input
                  type="text"
                  placeholder="The system's"
                  value={prefs.time_zone ?? ''}
                  aria-describedby="pref-zone-help"
                  onChange={(e) => save({ time_zone: e.currentTarget.value.trim() || null })}
                />
              </label>
              <p id="pref-zone-help" class="settings-help">
                For "send later", opening hours and statistics: a name such as Europe/London. Empty: the computer's own.
              </p>
              <label class="settings-field">
                <span>Sync contacts every (hours)</span>
                <input
                  type="number"
                  min={0}
                  max={720}
                  step={1}
                  value={prefs.contact_sync_hours}
                  aria-describedby="pref-sync-help"
                  onChange={(e) => save({ contact_sync_hours: Number(e.currentTarget.value) })}
                />
              </label>
              <p id="pref-sync-help" class="settings-help">
                How often WASender and UniPile accounts fetch their contacts' names. 0 turns it off.
              </p>
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
            <QuickRepliesSettings />
            <AutoRepliesSettings />
            <JobsSettings />
            <StorageSettings />
            <BackupSettings />
            <AppLockSettings />
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
