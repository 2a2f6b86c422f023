// The open conversation's actions in the chat header: snooze (or bring
// back now), archive (or bring back), pin, mute, mark unread and labels. The same actions run from the
// command palette and the keyboard (App.tsx's `act`).

import { Archive, ArchiveRestore, Bell, BellOff, MailOpen, Pin, PinOff, Tag } from 'lucide-preact';
import { useState } from 'preact/hooks';
import type { ConversationDto } from '../bindings';
import { keysOf } from '../shortcuts';
import { SnoozeButton } from './Snooze';

export type ConversationAction = 'archive' | 'pin' | 'mute' | 'mark_unread';

export function ConversationActions(p: {
  c: ConversationDto;
  labels: string[];
  onAct: (action: ConversationAction) => void;
  onLabels: (labels: string[]) => void;
  now: number;
  /** The snooze menu is open (the palette's "Snooze until…" opens it too). */
  snoozing: boolean;
  onSnoozing: (open: boolean) => void;
  onSnooze: (until: string) => void;
  onUnsnooze: () => void;
}) {
  const [labelling, setLabelling] = useState(false);
  const [fresh, setFresh] = useState('');
  const c = p.c;
  const btn = (action: ConversationAction, label: string, Icon: typeof Pin, pressed?: boolean) => (
    <button type="button" class="icon-btn header-btn" aria-label={label} title={`${label} (${keysOf(action)})`} aria-pressed={pressed} onClick={() => p.onAct(action)}>
      <Icon size={18} aria-hidden="true" />
    </button>
  );
  const all = [...new Set([...p.labels, ...c.labels])].sort((a, b) => a.localeCompare(b));
  const toggle = (l: string) => p.onLabels(c.labels.includes(l) ? c.labels.filter((x) => x !== l) : [...c.labels, l]);
  return (
    <div class="conv-actions">
      <SnoozeButton c={c} now={p.now} open={p.snoozing} onOpen={p.onSnoozing} onSnooze={p.onSnooze} onUnsnooze={p.onUnsnooze} />
      {btn('archive', c.archived ? 'Unarchive' : 'Archive', c.archived ? ArchiveRestore : Archive)}
      {btn('pin', c.pinned ? 'Unpin' : 'Pin', c.pinned ? PinOff : Pin, c.pinned)}
      {btn('mute', c.muted ? 'Unmute' : 'Mute', c.muted ? Bell : BellOff, c.muted)}
      {btn('mark_unread', 'Mark unread', MailOpen)}
      <div class="labels-menu">
        <button type="button" class="icon-btn header-btn" aria-label="Labels" title="Labels" aria-expanded={labelling} onClick={() => setLabelling(!labelling)}>
          <Tag size={18} aria-hidden="true" />
        </button>
        {labelling && (
          <div class="labels-popover" role="group" aria-label="Labels of this conversation">
            {all.map((l) => (
              <label key={l} class="labels-option">
                <input type="checkbox" checked={c.labels.includes(l)} onChange={() => toggle(l)} /> <span dir="auto">{l}</span>
              </label>
            ))}
            <form
              onSubmit={(e) => {
                e.preventDefault();
                const name = fresh.trim();
                if (name && !c.labels.includes(name)) p.onLabels([...c.labels, name]);
                setFresh('');
              }}
            >
              <input type="text" aria-label="New label" placeholder="New label" value={fresh} onInput={(e) => setFresh(e.currentTarget.value)} />
            </form>
          </div>
        )}
      </div>
    </div>
  );
}
