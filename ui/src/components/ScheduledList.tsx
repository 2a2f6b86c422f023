// The conversation's scheduled messages, above the composer: when each goes,
// what it says, and Cancel. The engine sends each at its time; the list is
// read again when the store changes (`ChatView`).

import { CalendarClock, X } from 'lucide-preact';
import type { ScheduledDto } from '../bindings';
import { scheduledTime } from '../format';

export interface ScheduledListProps {
  items: ScheduledDto[];
  now: number;
  onCancel: (s: ScheduledDto) => void;
}

export function ScheduledList({ items, now, onCancel }: ScheduledListProps) {
  if (items.length === 0) return null;
  return (
    <section class="scheduled" aria-label="Scheduled messages">
      <h3 class="scheduled-title">
        <CalendarClock size={14} aria-hidden="true" /> Scheduled ({items.length})
      </h3>
      <ul>
        {items.map((s) => {
          const when = scheduledTime(s.send_at, now);
          return (
            <li class="scheduled-item" key={s.id} data-scheduled-id={s.id}>
              <time class="scheduled-when" dateTime={new Date(s.send_at).toISOString()}>
                {when}
              </time>
              <span class="scheduled-text" dir="auto">
                {s.summary}
              </span>
              <button type="button" class="link-btn scheduled-cancel" aria-label={`Cancel the message scheduled for ${when}`} onClick={() => onCancel(s)}>
                <X size={14} aria-hidden="true" /> Cancel
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
