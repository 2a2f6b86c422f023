// Private notes: the owner's own text on a contact or a conversation, shown
// in the chat (above the composer) and in the contact panel. They are never
// sent and never unread; the section says so plainly. Each note shows when it
// was written (and edited); add, edit and delete in place. In the chat the
// section is one line (the latest note) until opened, so messages keep the room.

import { Lock, Pencil, Plus, Trash2 } from 'lucide-preact';
import { useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, NoteDto } from '../bindings';
import { scheduledTime } from '../format';

export interface NotesProps {
  /** The section's accessible name and heading. */
  title: string;
  notes: NoteDto[];
  conversationId: number;
  /** New notes go on the contact (the contact panel), else on the conversation. */
  onContact: boolean;
  now: number;
  onChange: (update: (list: NoteDto[]) => NoteDto[]) => void;
  onError: (e: CommandError) => void;
  /** One line until the owner opens it (the chat). */
  collapsible?: boolean;
}

function NoteEditor(p: { initial: string; label: string; onSave: (text: string) => Promise<boolean>; onCancel: () => void }) {
  const [text, setText] = useState(p.initial);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    if (!text.trim() || busy) return;
    setBusy(true);
    if (!(await p.onSave(text))) setBusy(false);
  };
  return (
    <div class="note-editor">
      <textarea
        rows={2}
        dir="auto"
        aria-label={p.label}
        value={text}
        ref={(el) => el?.focus()}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void save();
          if (e.key === 'Escape') {
            e.stopPropagation();
            p.onCancel();
          }
        }}
      />
      <div class="note-editor-actions">
        <button type="button" class="btn-primary" disabled={!text.trim() || busy} onClick={() => void save()}>
          Save note
        </button>
        <button type="button" class="link-btn" onClick={p.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function Notes(p: NotesProps) {
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  const [expanded, setExpanded] = useState(!p.collapsible);
  const sorted = [...p.notes].sort((a, b) => a.created_at - b.created_at || a.id - b.id);
  const latest = sorted[sorted.length - 1];

  const add = async (text: string) => {
    try {
      const n = await call('add_note', { conversation_id: p.conversationId, on_contact: p.onContact, text });
      p.onChange((list) => [...list, n]);
      setAdding(false);
      return true;
    } catch (e) {
      p.onError(e as CommandError);
      return false;
    }
  };
  const edit = async (id: number, text: string) => {
    try {
      const n = await call('edit_note', { id, text });
      p.onChange((list) => list.map((x) => (x.id === id ? n : x)));
      setEditing(null);
      return true;
    } catch (e) {
      p.onError(e as CommandError);
      return false;
    }
  };
  const remove = (n: NoteDto) => {
    call('delete_note', { id: n.id })
      .then(() => p.onChange((list) => list.filter((x) => x.id !== n.id)))
      .catch(p.onError);
  };

  return (
    <section class="notes" aria-label={p.title}>
      <h3 class="notes-title">
        {p.collapsible ? (
          <button type="button" class="link-btn notes-toggle" aria-expanded={expanded} onClick={() => setExpanded((v) => !v)}>
            <Lock size={14} aria-hidden="true" /> {p.title}
            {sorted.length > 0 && ` (${sorted.length})`}
          </button>
        ) : (
          <>
            <Lock size={14} aria-hidden="true" /> {p.title}
            {sorted.length > 0 && ` (${sorted.length})`}
          </>
        )}
        {!expanded && latest && (
          <span class="notes-peek" dir="auto">
            {latest.text}
          </span>
        )}
        <span class="notes-private">Only you see this · never sent</span>
      </h3>
      {expanded && sorted.length > 0 && (
        <ul>
          {sorted.map((n) => (
            <li class="note" key={n.id} data-note-id={n.id}>
              {editing === n.id ? (
                <NoteEditor initial={n.text} label="Edit the note" onSave={(t) => edit(n.id, t)} onCancel={() => setEditing(null)} />
              ) : (
                <>
                  <p class="note-text" dir="auto">
                    {n.text}
                  </p>
                  <div class="note-meta">
                    <time dateTime={new Date(n.created_at).toISOString()}>{scheduledTime(n.created_at, p.now)}</time>
                    {n.updated_at !== n.created_at && <span> · edited</span>}
                    {!p.onContact && n.contact_id !== null && <span> · on the contact</span>}
                    <button type="button" class="icon-btn note-btn" aria-label={`Edit the note: ${n.text}`} title="Edit" onClick={() => setEditing(n.id)}>
                      <Pencil size={14} aria-hidden="true" />
                    </button>
                    <button type="button" class="icon-btn note-btn" aria-label={`Delete the note: ${n.text}`} title="Delete" onClick={() => remove(n)}>
                      <Trash2 size={14} aria-hidden="true" />
                    </button>
                  </div>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {expanded &&
        (adding ? (
          <NoteEditor initial="" label="New note" onSave={add} onCancel={() => setAdding(false)} />
        ) : (
          <button type="button" class="link-btn notes-add" onClick={() => setAdding(true)}>
            <Plus size={14} aria-hidden="true" /> Add a note
          </button>
        ))}
    </section>
  );
}
