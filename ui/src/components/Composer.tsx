// The composer: Enter sends, Shift+Enter adds a line; grows to six lines
// then scrolls; the draft is saved per conversation (debounced, and when
// leaving the conversation); for Meta accounts the customer-service window
// is shown, and when it is closed free text is refused before it is typed.

import { Clock, SendHorizontal, X } from 'lucide-preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, ConversationDto, MessageDto } from '../bindings';
import { windowLeft } from '../format';
import { summary } from './Bubble';

const DRAFT_DELAY = 400; // ms after the last keystroke
const MAX_LINES = 6;

export interface ComposerProps {
  conversation: ConversationDto;
  account: AccountDto | undefined;
  now: number;
  replyTo: MessageDto | null;
  peerName: string;
  onCancelReply: () => void;
  onSend: (text: string, replyTo: MessageDto | null) => Promise<boolean>;
  onDraft: (conversationId: number, text: string) => void;
}

export function Composer(p: ComposerProps) {
  const [text, setText] = useState(p.conversation.draft ?? '');
  const area = useRef<HTMLTextAreaElement>(null);
  const pending = useRef<number | undefined>(undefined);
  const latest = useRef(text);
  latest.current = text;

  const windowed = p.account?.has_service_window ?? false;
  const expires = p.conversation.window_expires_at;
  const open = !windowed || (expires !== null && expires > p.now);

  const saveDraft = (value: string) => {
    window.clearTimeout(pending.current);
    pending.current = undefined;
    call('save_draft', { conversation_id: p.conversation.id, text: value || null }).catch(() => {
      /* a lost draft save is retried by the next keystroke */
    });
    p.onDraft(p.conversation.id, value);
  };

  // Leaving the conversation (or closing the window) saves what is typed.
  // (The parent keys this component by conversation, so this runs per conversation.)
  useEffect(() => {
    const flush = () => {
      if (pending.current !== undefined) saveDraft(latest.current);
    };
    window.addEventListener('beforeunload', flush);
    area.current?.focus();
    return () => {
      window.removeEventListener('beforeunload', flush);
      flush();
    };
  }, []);

  // Six lines, then it scrolls.
  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    const css = getComputedStyle(el);
    const line = parseFloat(css.lineHeight) || 20;
    const chrome = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom) + parseFloat(css.borderTopWidth) + parseFloat(css.borderBottomWidth);
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight + parseFloat(css.borderTopWidth) + parseFloat(css.borderBottomWidth), line * MAX_LINES + chrome)}px`;
  }, [text]);

  const onInput = (value: string) => {
    setText(value);
    window.clearTimeout(pending.current);
    pending.current = window.setTimeout(() => saveDraft(value), DRAFT_DELAY);
  };

  const send = async () => {
    const body = text;
    if (!body.trim() || !open) return;
    setText('');
    window.clearTimeout(pending.current);
    pending.current = undefined;
    const ok = await p.onSend(body, p.replyTo);
    if (ok) {
      p.onCancelReply();
      saveDraft('');
    } else {
      setText((now) => (now === '' ? body : now));
    }
    area.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'Escape' && p.replyTo) {
      p.onCancelReply();
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      {windowed && (
        <div class={`window-badge ${open ? 'open' : 'closed'}`} role="status">
          <Clock size={14} aria-hidden="true" />
          {open ? <span>Window closes in {windowLeft(expires!, p.now)}</span> : <span>Window closed: send a template</span>}
        </div>
      )}
      {p.replyTo && (
        <div class="replying">
          <div class="quote">
            <span class="quote-who" dir="auto">
              {p.replyTo.direction === 'out' ? 'You' : p.peerName}
            </span>
            <span class="quote-text" dir="auto">
              {summary(p.replyTo.kind, p.replyTo.text ?? p.replyTo.caption)}
            </span>
          </div>
          <button type="button" class="icon-btn" aria-label="Cancel the reply" onClick={p.onCancelReply}>
            <X size={16} aria-hidden="true" />
          </button>
        </div>
      )}
      <div class="composer-row">
        <textarea
          ref={area}
          rows={1}
          dir="auto"
          aria-label="Message"
          placeholder={open ? 'Type a message' : 'The customer has not written for 24 hours: only an approved template can be sent'}
          disabled={!open}
          value={text}
          onInput={(e) => onInput((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        <button type="submit" class="send" aria-label="Send" title="Send (Enter)" disabled={!open || !text.trim()}>
          <SendHorizontal size={20} aria-hidden="true" />
        </button>
      </div>
    </form>
  );
}
