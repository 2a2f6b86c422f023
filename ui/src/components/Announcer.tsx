import { useEffect, useRef, useState } from 'preact/hooks';
import { on } from '../api';
import { summary } from './Bubble';

/** Arrivals gathered for one announcement: a burst is one sentence, not ten. */
const GATHER_MS = 800;

/** What a screen reader hears for a burst of customers' messages. */
export function announcement(arrived: { name: string; text: string }[]): string {
  if (arrived.length === 0) return '';
  if (arrived.length === 1) return `New message from ${arrived[0].name}: ${arrived[0].text}`;
  const names = [...new Set(arrived.map((a) => a.name))];
  const from = names.length === 1 ? names[0] : `${names[0]} and ${names.length - 1} other${names.length === 2 ? '' : 's'}`;
  return `${arrived.length} new messages from ${from}`;
}

/**
 * A polite live region: new messages from customers are announced to screen
 * readers (not the owner's own sends, not status changes, not muted chats).
 */
export function Announcer() {
  const [text, setText] = useState('');
  const pending = useRef<{ name: string; text: string }[]>([]);
  useEffect(() => {
    let timer: number | undefined;
    const stop = on('message-received', ({ message, conversation }) => {
      if (message.direction !== 'in' || conversation.muted || message.kind === 'notice') return;
      pending.current.push({ name: conversation.display_name, text: summary(message.kind, message.text ?? message.caption) });
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        setText(announcement(pending.current));
        pending.current = [];
      }, GATHER_MS);
    });
    return () => {
      window.clearTimeout(timer);
      void stop.then((s) => s());
    };
  }, []);
  return (
    <div class="sr-only" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
