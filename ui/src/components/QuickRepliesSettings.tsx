// Settings → Quick replies: the saved answers the composer offers on `/`.
// Add, edit (shortcut, text, file) and remove; the core checks the shortcut
// (one word, unique in any case) and keeps the file in the data dir. The
// same list as `wicket quick-replies list`.

import { Paperclip, Pencil, Plus, Trash2, X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, callWithBytes } from '../api';
import type { CommandError, QuickReplyDto } from '../bindings';
import { SettingsSection } from './Settings';

interface Draft {
  id?: number;
  shortcut: string;
  text: string;
  /** The file it has now (editing), unless removed. */
  fileName: string | null;
  newFile: File | null;
}

function Editor(p: { draft: Draft; onSaved: (q: QuickReplyDto) => void; onCancel: () => void }) {
  const [d, setD] = useState(p.draft);
  const [error, setError] = useState<CommandError | null>(null);
  const [busy, setBusy] = useState(false);
  const picker = useRef<HTMLInputElement>(null);
  const shown = d.newFile?.name ?? d.fileName;
  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const file = d.newFile ? { file_name: d.newFile.name } : undefined;
      const bytes = d.newFile ? new Uint8Array(await d.newFile.arrayBuffer()) : new Uint8Array();
      const removeFile = d.id !== undefined && !d.newFile && d.fileName === null && p.draft.fileName !== null;
      p.onSaved(await callWithBytes('save_quick_reply', { id: d.id, shortcut: d.shortcut, text: d.text, file, remove_file: removeFile || undefined }, bytes));
    } catch (err) {
      setError(err as CommandError);
      setBusy(false);
    }
  };
  return (
    <form class="quick-reply-editor" aria-label={d.id === undefined ? 'New quick reply' : `Edit /${p.draft.shortcut}`} onSubmit={save}>
      <label>
        Shortcut
        <span class="quick-reply-slash">
          /
          <input
            value={d.shortcut}
            required
            maxLength={32}
            placeholder="thanks"
            ref={(el) => {
              if (d.id === undefined && el && !d.shortcut) el.focus();
            }}
            onInput={(e) => setD({ ...d, shortcut: e.currentTarget.value })}
          />
        </span>
      </label>
      <label>
        Text
        <textarea rows={3} dir="auto" value={d.text} placeholder="Thanks {first_name}! Your order is on its way." onInput={(e) => setD({ ...d, text: e.currentTarget.value })} />
      </label>
      <p class="settings-help">
        <code>{'{name}'}</code>, <code>{'{first_name}'}</code> and <code>{'{phone}'}</code> are filled from the contact; one the contact lacks is left out.
      </p>
      <div class="quick-reply-file-row">
        {shown ? (
          <span class="quick-reply-file">
            <Paperclip size={14} aria-hidden="true" /> {shown}
            <button type="button" class="icon-btn" aria-label={`Remove the file ${shown}`} onClick={() => setD({ ...d, newFile: null, fileName: null })}>
              <X size={14} aria-hidden="true" />
            </button>
          </span>
        ) : (
          <button type="button" class="link-btn" onClick={() => picker.current?.click()}>
            <Paperclip size={14} aria-hidden="true" /> Attach a file
          </button>
        )}
        <input
          ref={picker}
          type="file"
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) setD({ ...d, newFile: f });
            e.currentTarget.value = '';
          }}
        />
      </div>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      <div class="quick-reply-editor-actions">
        <button type="submit" class="btn-primary" disabled={busy || !d.shortcut.trim() || (!d.text.trim() && !shown)}>
          Save
        </button>
        <button type="button" class="link-btn" onClick={p.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function QuickRepliesSettings() {
  const [list, setList] = useState<QuickReplyDto[] | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [editing, setEditing] = useState<Draft | null>(null);
  useEffect(() => {
    call('list_quick_replies').then(setList).catch(setError);
  }, []);
  const saved = (q: QuickReplyDto) => {
    setList((l) => [...(l ?? []).filter((x) => x.id !== q.id), q].sort((a, b) => a.shortcut.toLowerCase().localeCompare(b.shortcut.toLowerCase())));
    setEditing(null);
    setError(null);
  };
  const remove = (q: QuickReplyDto) => {
    call('remove_quick_reply', { shortcut: q.shortcut })
      .then(() => setList((l) => (l ?? []).filter((x) => x.id !== q.id)))
      .catch(setError);
  };
  return (
    <SettingsSection id="quick-replies" title="Quick replies">
      <p class="settings-help">Type / in the message box to insert one. The same list as <code>wicket quick-replies list</code>.</p>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      {list && list.length === 0 && !editing && <p class="muted">No quick replies yet.</p>}
      {list && list.length > 0 && (
        <ul class="quick-reply-list">
          {list.map((q) =>
            editing?.id === q.id ? (
              <li key={q.id}>
                <Editor draft={editing} onSaved={saved} onCancel={() => setEditing(null)} />
              </li>
            ) : (
              <li class="quick-reply-row" key={q.id}>
                <span class="quick-reply-shortcut">/{q.shortcut}</span>
                <span class="quick-reply-text" dir="auto">
                  {q.text}
                </span>
                {q.file_name && (
                  <span class="quick-reply-file">
                    <Paperclip size={12} aria-hidden="true" /> {q.file_name}
                  </span>
                )}
                <span class="quick-reply-actions">
                  <button
                    type="button"
                    class="icon-btn"
                    aria-label={`Edit /${q.shortcut}`}
                    title="Edit"
                    onClick={() => setEditing({ id: q.id, shortcut: q.shortcut, text: q.text, fileName: q.file_name, newFile: null })}
                  >
                    <Pencil size={14} aria-hidden="true" />
                  </button>
                  <button type="button" class="icon-btn" aria-label={`Remove /${q.shortcut}`} title="Remove" onClick={() => remove(q)}>
                    <Trash2 size={14} aria-hidden="true" />
                  </button>
                </span>
              </li>
            ),
          )}
        </ul>
      )}
      {editing && editing.id === undefined ? (
        <Editor draft={editing} onSaved={saved} onCancel={() => setEditing(null)} />
      ) : (
        <button type="button" class="link-btn" onClick={() => setEditing({ shortcut: '', text: '', fileName: null, newFile: null })}>
          <Plus size={14} aria-hidden="true" /> Add a quick reply
        </button>
      )}
    </SettingsSection>
  );
}
