// Settings → Backups: back up now (store and media in one encrypted file,
// secrets only when asked), the schedule (daily by default, keep the last
// N, the passphrase kept in the secret store), the backups in the folder,
// and restore with a confirmation that says what it replaces. The same
// files as `wicket backup create|list|restore`.

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { BackupCountsDto, BackupRestoredDto, BackupStatusDto, CommandError } from '../bindings';
import { longDateTime } from '../format';
import { SettingsSection } from './Settings';

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function counts(c: BackupCountsDto): string {
  const secrets = c.secrets > 0 ? `, ${c.secrets} secrets` : '';
  return `${c.accounts} accounts, ${c.conversations} conversations, ${c.messages} messages, ${c.media_files} media files${secrets}`;
}

/** The restore form for one file: passphrase, then a confirmation naming what it replaces. */
function Restore({ file, onDone, onCancel }: { file: string; onDone: (r: BackupRestoredDto) => void; onCancel: () => void }) {
  const [passphrase, setPassphrase] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const restore = () => {
    setBusy(true);
    call('backup_restore', { file, passphrase, force: true })
      .then(onDone)
      .catch((e: CommandError) => {
        setError(e);
        setConfirming(false);
      })
      .finally(() => setBusy(false));
  };
  return (
    <div class="backup-restore" role="group" aria-label="Restore a backup">
      <p class="settings-help">
        Restore <code>{file}</code>
      </p>
      <label class="backup-field">
        Backup passphrase
        <input type="password" value={passphrase} autoComplete="off" onInput={(e) => setPassphrase(e.currentTarget.value)} />
      </label>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      {confirming ? (
        <div class="backup-confirm" role="alertdialog" aria-label="Replace this inbox with the backup?">
          <p>
            This replaces every account, conversation, message and media file in this inbox with the backup's. Wicket stops receiving for a moment while it
            restores. This cannot be undone.
          </p>
          <div class="settings-actions">
            <button type="button" class="wizard-btn backup-danger" disabled={busy} onClick={restore}>
              {busy ? 'Restoring…' : 'Replace and restore'}
            </button>
            <button type="button" class="wizard-btn" disabled={busy} onClick={() => setConfirming(false)}>
              Keep this inbox
            </button>
          </div>
        </div>
      ) : (
        <div class="settings-actions">
          <button type="button" class="wizard-btn wizard-primary" disabled={!passphrase} onClick={() => setConfirming(true)}>
            Restore…
          </button>
          <button type="button" class="wizard-btn" onClick={onCancel}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

export function BackupSettings() {
  const [status, setStatus] = useState<BackupStatusDto | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [withSecrets, setWithSecrets] = useState(false);
  const [busy, setBusy] = useState(false);
  const [schedulePass, setSchedulePass] = useState('');
  const [restoring, setRestoring] = useState<string | null>(null);
  const [otherFile, setOtherFile] = useState('');

  const load = () => call('backup_status').then(setStatus).catch(setError);
  useEffect(() => {
    load();
  }, []);

  const backupNow = () => {
    setBusy(true);
    setNote(null);
    call('backup_create', { out: '', passphrase, with_secrets: withSecrets })
      .then((c) => {
        setNote(`Saved ${c.path} (${size(Number(c.size))}): ${counts(c.counts)}.`);
        setPassphrase('');
        setError(null);
        load();
      })
      .catch(setError)
      .finally(() => setBusy(false));
  };

  const saveSchedule = (change: Partial<BackupStatusDto>) => {
    if (!status) return;
    const next = { ...status, ...change };
    setStatus(next);
    call('backup_set_schedule', {
      enabled: next.enabled,
      folder: next.folder,
      keep: next.keep,
      every_hours: next.every_hours,
      with_secrets: next.with_secrets,
      passphrase: schedulePass || undefined,
    })
      .then((s) => {
        setStatus(s);
        setSchedulePass('');
        setError(null);
      })
      .catch((e: CommandError) => {
        setError(e);
        load();
      });
  };

  return (
    <SettingsSection id="backups" title="Backups">
      <p class="settings-help">
        One encrypted file with your conversations, messages and media (AES-256 under your passphrase). Keep the passphrase safe: without it a backup
        cannot be opened.
      </p>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      <div class="backup-now">
        <label class="backup-field">
          Passphrase for this backup
          <input type="password" value={passphrase} autoComplete="new-password" onInput={(e) => setPassphrase(e.currentTarget.value)} />
        </label>
        <label class="backup-check">
          <input type="checkbox" checked={withSecrets} onChange={(e) => setWithSecrets(e.currentTarget.checked)} />
          Include account secrets (access tokens and keys)
        </label>
        <div class="settings-actions">
          <button type="button" class="wizard-btn wizard-primary" disabled={!passphrase || busy} onClick={backupNow}>
            {busy ? 'Backing up…' : 'Back up now'}
          </button>
        </div>
        {note && (
          <p class="settings-help" role="status">
            {note}
          </p>
        )}
      </div>
      {status && (
        <>
          <h3 class="backup-sub">Schedule</h3>
          <div class="settings-row">
            <input id="backup-enabled" type="checkbox" role="switch" checked={status.enabled} onChange={(e) => saveSchedule({ enabled: e.currentTarget.checked })} />
            <div>
              <label for="backup-enabled">Back up automatically</label>
              <p class="settings-help">
                {status.every_hours === 24 ? 'Daily' : `Every ${status.every_hours} h`}, while Wicket runs; the last {status.keep} are kept.
              </p>
            </div>
          </div>
          {status.enabled && (
            <div class="backup-schedule">
              <label class="backup-field">
                Keep the last
                <input type="number" min={1} max={365} value={status.keep} onChange={(e) => saveSchedule({ keep: Number(e.currentTarget.value) })} />
              </label>
              <label class="backup-field">
                Folder
                <input type="text" value={status.folder} onChange={(e) => saveSchedule({ folder: e.currentTarget.value })} />
              </label>
              <label class="backup-field">
                {status.passphrase_set ? 'Passphrase (stored; type to change it)' : 'Passphrase for scheduled backups'}
                <input type="password" value={schedulePass} autoComplete="new-password" onInput={(e) => setSchedulePass(e.currentTarget.value)} />
              </label>
              {!status.passphrase_set && <p class="job-error">Scheduled backups need a passphrase: type one and save.</p>}
              <label class="backup-check">
                <input type="checkbox" checked={status.with_secrets} onChange={(e) => saveSchedule({ with_secrets: e.currentTarget.checked })} />
                Include account secrets
              </label>
              <div class="settings-actions">
                <button type="button" class="wizard-btn" disabled={!schedulePass} onClick={() => saveSchedule({})}>
                  Save passphrase
                </button>
              </div>
            </div>
          )}
          <h3 class="backup-sub">Backups in the folder</h3>
          {status.backups.length === 0 ? (
            <p class="settings-help">No backups in {status.folder} yet.</p>
          ) : (
            <ul class="backup-list">
              {status.backups.map((b) => (
                <li key={b.path} class="backup-item">
                  <span>
                    <time dateTime={b.created_at}>{longDateTime(Date.parse(b.created_at))}</time>
                    <span class="muted"> · {size(Number(b.size))}</span>
                  </span>
                  <button type="button" class="wizard-btn" onClick={() => setRestoring(b.path)}>
                    Restore…
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div class="backup-other">
            <label class="backup-field">
              Restore from another file
              <input type="text" placeholder="/path/to/wicket-backup.wbk" value={otherFile} onInput={(e) => setOtherFile(e.currentTarget.value)} />
            </label>
            <button type="button" class="wizard-btn" disabled={!otherFile.trim()} onClick={() => setRestoring(otherFile.trim())}>
              Restore…
            </button>
          </div>
          {restoring && (
            <Restore
              file={restoring}
              onCancel={() => setRestoring(null)}
              onDone={(r) => {
                setRestoring(null);
                setNote(`Restored the backup of ${longDateTime(Date.parse(r.backup_created_at))}: ${counts(r.restored)}.`);
                load();
              }}
            />
          )}
        </>
      )}
    </SettingsSection>
  );
}
