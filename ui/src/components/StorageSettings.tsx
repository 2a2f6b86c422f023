// Settings → Storage: the space Wicket uses (media and the database), the
// media limit (`media_cache_limit_mb`, the same setting as `wicket settings
// set`), and "Free up space now" (`wicket media prune`). Over the limit the
// least recently used files are removed; their messages stay, with
// "Download again" while WhatsApp still has the file.

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, MediaUsageDto } from '../bindings';
import { fileSize } from '../format';
import { SettingsSection } from './Settings';

function files(n: number): string {
  return n === 1 ? '1 file' : `${n} files`;
}

export function StorageSettings() {
  const [usage, setUsage] = useState<MediaUsageDto | null>(null);
  const [limit, setLimit] = useState('');
  const [error, setError] = useState<CommandError | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const show = (u: MediaUsageDto) => {
    setUsage(u);
    setLimit(String(u.limit_mb));
  };
  useEffect(() => {
    call('media_usage').then(show).catch(setError);
  }, []);

  const freed = (r: { freed_bytes: number; removed_files: number; still_over: boolean; usage: MediaUsageDto }) => {
    show(r.usage);
    setError(null);
    if (r.removed_files === 0) setNote('Nothing to remove: media are within the limit.');
    else setNote(`Removed ${files(r.removed_files)} (${fileSize(r.freed_bytes)} freed).${r.still_over ? ' Still over: what is left are attachments not sent yet, which are kept.' : ''}`);
  };

  const saveLimit = () => {
    const mb = Number(limit);
    if (!usage || limit.trim() === '' || mb === usage.limit_mb) return;
    setNote(null);
    if (!Number.isInteger(mb)) {
      setError({ code: 'invalid', message: 'The media limit is a whole number of megabytes (0: no limit).', kind: null });
      setLimit(String(usage.limit_mb));
      return;
    }
    call('set_media_limit', { limit_mb: mb })
      .then(freed)
      .catch((e: CommandError) => {
        setError(e);
        setLimit(String(usage.limit_mb));
      });
  };

  const prune = () => {
    setBusy(true);
    setNote(null);
    call('media_prune')
      .then(freed)
      .catch(setError)
      .finally(() => setBusy(false));
  };

  const total = usage ? usage.media_bytes + usage.database_bytes : 0;
  const share = usage && usage.limit_mb > 0 ? Math.min(100, Math.round((usage.media_bytes / (usage.limit_mb * 1024 * 1024)) * 100)) : null;

  return (
    <SettingsSection id="storage" title="Storage">
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      {usage && (
        <>
          <dl class="settings-about storage-figures">
            <dt>Space used</dt>
            <dd>{fileSize(total)}</dd>
            <dt>Media</dt>
            <dd>
              {fileSize(usage.media_bytes)} in {files(usage.media_files)}
              {share !== null && ` · ${share}% of the limit`}
            </dd>
            <dt>Messages and settings</dt>
            <dd>{fileSize(usage.database_bytes)}</dd>
          </dl>
          {share !== null && (
            <div
              class="storage-meter"
              role="meter"
              aria-label="Media against the limit"
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={share}
              aria-valuetext={`${share}%`}
            >
              <span style={{ width: `${share}%` }} />
            </div>
          )}
          <label class="settings-field">
            <span>Media limit (MB)</span>
            <input
              type="number"
              min={0}
              step={256}
              value={limit}
              aria-describedby="storage-limit-help"
              onInput={(e) => setLimit(e.currentTarget.value)}
              onChange={saveLimit}
            />
          </label>
          <p id="storage-limit-help" class="settings-help">
            Over the limit, the pictures, videos and documents you have not opened for the longest are removed from this computer. Their messages stay, and
            you can download them again while WhatsApp still keeps them (about 30 days for WhatsApp Cloud API accounts). Attachments not sent yet are never
            removed. 0: no limit.
          </p>
          <div class="settings-actions">
            <button type="button" class="wizard-btn" disabled={busy || usage.evictable_files === 0 || usage.limit_mb === 0} onClick={prune}>
              {busy ? 'Freeing space…' : 'Free up space now'}
            </button>
          </div>
          {note && (
            <p class="settings-help" role="status">
              {note}
            </p>
          )}
        </>
      )}
    </SettingsSection>
  );
}
