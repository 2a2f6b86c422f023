// The confirm step before a manual message to a customer who opted out
// (wrote STOP): the composer's text and media, and the template picker.

import { BellOff } from 'lucide-preact';
import { longDateTime } from '../format';

export function OptOutConfirm({ at, onSend, onCancel }: { at: number; onSend: () => void; onCancel: () => void }) {
  return (
    <div class="opt-out-confirm" role="alertdialog" aria-label="Send to a customer who opted out?">
      <BellOff size={16} aria-hidden="true" />
      <span>This customer opted out of messages on {longDateTime(at)} (they asked for no more messages). Send anyway?</span>
      <span class="opt-out-actions">
        <button type="button" class="btn-primary" onClick={onSend}>
          Send anyway
        </button>
        <button type="button" class="link-btn" onClick={onCancel}>
          Cancel
        </button>
      </span>
    </div>
  );
}
