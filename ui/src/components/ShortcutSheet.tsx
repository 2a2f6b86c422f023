// The shortcut sheet (`?` or Ctrl+/): every shortcut of shortcuts.ts.

import { X } from 'lucide-preact';
import { useEffect, useRef } from 'preact/hooks';
import { useEscape } from '../hooks';
import { KEYS_IN_PLACE, SHORTCUTS } from '../shortcuts';

export function ShortcutSheet({ onClose }: { onClose: () => void }) {
  const dialog = useRef<HTMLDivElement>(null);
  useEffect(() => dialog.current?.focus(), []);
  useEscape(onClose);
  return (
    <div class="settings-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="settings shortcut-sheet" role="dialog" aria-modal="true" aria-labelledby="sheet-title" tabIndex={-1} ref={dialog}>
        <header class="settings-head">
          <h1 id="sheet-title">Keyboard shortcuts</h1>
          <button type="button" class="icon-btn" aria-label="Close shortcuts" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        <dl class="shortcut-list">
          {SHORTCUTS.map((s) => (
            <div key={s.id} class="shortcut-row">
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <h2 class="shortcut-sub">In lists and the chat</h2>
        <dl class="shortcut-list">
          {KEYS_IN_PLACE.map((s) => (
            <div key={s.keys} class="shortcut-row">
              <dt>
                <kbd>{s.keys}</kbd>
              </dt>
              <dd>{s.what}</dd>
            </div>
          ))}
        </dl>
        <p class="settings-help">Ctrl is Cmd on a Mac. Plain keys such as ? never act while you type a message.</p>
      </div>
    </div>
  );
}
