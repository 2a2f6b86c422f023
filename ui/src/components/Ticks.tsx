import { Check, CheckCheck, CircleAlert, CircleQuestionMark, Clock, Headphones } from 'lucide-preact';
import type { MessageStatus } from '../bindings';

const LABELS: Record<MessageStatus, string> = {
  pending: 'Waiting to send',
  sending: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  played: 'Played',
  failed: 'Not sent',
  received: 'Received',
  unknown: 'May have been sent',
};

/**
 * An outgoing message's state. Each state has its own shape (clock, one
 * tick, two ticks, two ticks in the accent colour plus a heavier stroke for
 * read, headphones for played, an alert for failed, a question mark for a
 * send whose outcome is unknown), so colour is never the
 * only signal; the label is there for screen readers and tooltips.
 */
export function Ticks({ status }: { status: MessageStatus }) {
  const label = LABELS[status];
  const common = { size: 16, 'aria-hidden': true } as const;
  let icon;
  switch (status) {
    case 'pending':
    case 'sending':
      icon = <Clock {...common} size={14} />;
      break;
    case 'sent':
      icon = <Check {...common} />;
      break;
    case 'delivered':
      icon = <CheckCheck {...common} />;
      break;
    case 'read':
      icon = <CheckCheck {...common} strokeWidth={2.75} />;
      break;
    case 'played':
      icon = <Headphones {...common} size={14} />;
      break;
    case 'failed':
      icon = <CircleAlert {...common} size={14} />;
      break;
    case 'unknown':
      icon = <CircleQuestionMark {...common} size={14} />;
      break;
    default:
      return null;
  }
  return (
    <span class={`ticks ticks-${status}`} role="img" aria-label={label} title={label} data-status={status}>
      {icon}
    </span>
  );
}
