// Settings → Export and import: `wicket export` (JSON or CSV, written to the
// data folder's exports/, opened with "Open folder": this app has no file
// dialog) and `wicket import` of a picked file (into a data folder without
// accounts), reporting what came in. Another computer's accounts go through
// the wizard's own "Import from another computer" form, reused here.

import { Download, FolderOpen, Upload } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, DataExportDto, ImportedTableDto, WizardAddedDto } from '../bindings';
import { SettingsSection } from './Settings';
import { ExportForm } from './wizard/ExportForm';
import { readFile } from './wizard/common';

// What came in, in words: [one, several].
const TABLE_TEXT: Record<string, [string, string]> = {
  settings: ['setting', 'settings'],
  accounts: ['account', 'accounts'],
  contacts: ['contact', 'contacts'],
  contact_labels: ['contact label', 'contact labels'],
  conversation_labels: ['conversation label', 'conversation labels'],
  conversations: ['conversation', 'conversations'],
  messages: ['message', 'messages'],
  media_files: ['media file', 'media files'],
  notes: ['note', 'notes'],
  templates: ['template', 'templates'],
  reactions: ['reaction', 'reactions'],
};

function rowsText(t: ImportedTableDto): string {
  const [one, several] = TABLE_TEXT[t.table] ?? [t.table.replace(/_/g, ' '), t.table.replace(/_/g, ' ')];
  return `${t.rows} ${t.rows === 1 ? one : several}`;
}

export function ExportImport({ onChanged }: { onChanged: () => void }) {
  const [format, setFormat] = useState<'json' | 'csv'>('json');
  const [exported, setExported] = useState<DataExportDto | null>(null);
  const [imported, setImported] = useState<ImportedTableDto[] | null>(null);
  const [accounts, setAccounts] = useState<WizardAddedDto[] | null>(null);
  const [moving, setMoving] = useState(false);
  const [busy, setBusy] = useState<'export' | 'import' | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const run = (what: 'export' | 'import', f: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    f()
      .catch((e: CommandError) => setError(e))
      .finally(() => setBusy(null));
  };
  const exportNow = () => run('export', async () => setExported(await call('data_export', { format })));
  const importFile = (input: HTMLInputElement) =>
    run('import', async () => {
      const file = await readFile(input);
      input.value = '';
      if (!file) return;
      setImported(null);
      setImported(await call('data_import', file));
      onChanged();
    });
  if (moving)
    return (
      <div class="settings-embedded">
        <ExportForm
          onBack={() => setMoving(false)}
          onSaved={(added) => {
            setAccounts(added);
            setMoving(false);
            onChanged();
          }}
        />
      </div>
    );
  const came = imported?.filter((t) => t.rows > 0) ?? [];
  return (
    <SettingsSection id="export" title="Export and import">
      <fieldset class="settings-choice">
        <legend>Export format</legend>
        <label>
          <input type="radio" name="export-format" checked={format === 'json'} onChange={() => setFormat('json')} /> JSON (everything, to import elsewhere)
        </label>
        <label>
          <input type="radio" name="export-format" checked={format === 'csv'} onChange={() => setFormat('csv')} /> CSV (one row per message, for spreadsheets)
        </label>
      </fieldset>
      <div class="settings-actions">
        <button type="button" class="wizard-btn" disabled={busy !== null} onClick={exportNow}>
          <Download size={16} aria-hidden="true" /> {busy === 'export' ? 'Exporting…' : 'Export'}
        </button>
        <button type="button" class="wizard-btn" onClick={() => call('open_folder', { folder: 'exports' }).catch(setError)}>
          <FolderOpen size={16} aria-hidden="true" /> Open folder
        </button>
      </div>
      {exported && (
        <div role="status" class="export-result">
          <p>
            Exported to <code>{exported.path}</code>
          </p>
          {exported.left_out.length > 0 && <p class="settings-help">Left out: {exported.left_out.join(', ')} (demo accounts are never exported).</p>}
        </div>
      )}
      <p class="settings-help">Secrets (tokens, keys) never go into an export. The file holds every message: keep it somewhere private.</p>
      <div class="wizard-field">
        <label for="import-file">
          <Upload size={14} aria-hidden="true" /> Import an export
        </label>
        <input
          id="import-file"
          type="file"
          accept=".json,.csv,application/json,text/csv"
          aria-describedby="import-file-help"
          disabled={busy !== null}
          onChange={(e) => importFile(e.currentTarget)}
        />
        <p class="settings-help" id="import-file-help">
          Everything in a Wicket export (as <code>wicket import</code>), into a data folder that has no account yet.
        </p>
      </div>
      {busy === 'import' && <p class="muted">Importing…</p>}
      {imported && (
        <div role="status" class="export-result">
          <p>Imported: {came.length === 0 ? 'nothing (the file was empty)' : came.map(rowsText).join(', ')}.</p>
        </div>
      )}
      <p class="settings-help">To bring another computer's accounts (not its conversations) into this one, with their secrets vault:</p>
      <div class="settings-actions">
        <button type="button" class="wizard-btn" onClick={() => setMoving(true)}>
          Import another computer's accounts
        </button>
      </div>
      {accounts && (
        <p role="status" class="export-result">
          Imported {accounts.length === 1 ? 'one account' : `${accounts.length} accounts`}: {accounts.map((a) => a.account.name).join(', ')}.
        </p>
      )}
      {error && (
        <p class="wizard-warn" role="alert">
          {error.message}
        </p>
      )}
    </SettingsSection>
  );
}
