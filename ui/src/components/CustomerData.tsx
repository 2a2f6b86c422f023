// The contact panel's customer data requests: export everything about this
// customer (a zip with a JSON index and the media files), or erase them
// completely after a confirmation that names them. The same as
// `wicket contact export|erase`.

import { Download, Trash2 } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, ConversationDto } from '../bindings';

export function CustomerData({ c, onErased }: { c: ConversationDto; onErased: () => void }) {
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const who = c.phone && c.phone !== c.display_name ? `${c.display_name} (${c.phone})` : c.display_name;

  const exportData = () => {
    setBusy(true);
    call('contact_export', { contact_id: c.contact_id, out: '' })
      .then((d) => {
        setError(null);
        setNote(`Saved ${d.path}: ${d.messages} messages, ${d.media_files} media files.`);
      })
      .catch(setError)
      .finally(() => setBusy(false));
  };
  const erase = () => {
    setBusy(true);
    call('contact_erase', { contact_id: c.contact_id })
      .then(() => onErased())
      .catch((e: CommandError) => {
        setError(e);
        setConfirming(false);
      })
      .finally(() => setBusy(false));
  };

  return (
    <div class="customer-data">
      <h4 class="customer-data-title">Customer data</h4>
      <button type="button" class="wizard-btn" disabled={busy} onClick={exportData}>
        <Download size={14} aria-hidden="true" /> Export this customer's data
      </button>
      {!confirming && (
        <button type="button" class="wizard-btn backup-danger" disabled={busy} onClick={() => setConfirming(true)}>
          <Trash2 size={14} aria-hidden="true" /> Erase this customer
        </button>
      )}
      {note && (
        <p class="settings-help" role="status">
          {note}
        </p>
      )}
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      {confirming && (
        <div class="backup-confirm" role="alertdialog" aria-label={`Erase ${c.display_name}?`}>
          <p dir="auto">
            Erase <strong>{who}</strong> completely? Their messages (also what they wrote in groups), media files, notes and the raw webhook data that mention them are deleted from this
            computer for good, including from the search index. Backups made earlier still hold them. This cannot be undone.
          </p>
          <div class="settings-actions">
            <button type="button" class="wizard-btn backup-danger" disabled={busy} onClick={erase}>
              {busy ? 'Erasing…' : `Erase ${c.display_name}`}
            </button>
            <button type="button" class="wizard-btn" disabled={busy} onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
