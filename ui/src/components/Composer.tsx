// The composer: Enter sends, Shift+Enter adds a line; grows to six lines
// then scrolls; the draft is saved per conversation (debounced, and when
// leaving the conversation); emoji from a bundled picker; files attached
// from a picker or dropped on the chat, sent with the text as caption; for
// Meta accounts the customer-service window is shown, and when it is closed
// free text is refused before it is typed and the approved templates offered.
// A customer who opted out (wrote STOP) is written to only after a confirm step.
// "Send later" (beside Send) schedules the text for a time the owner picks.
// Typing `/` at the start of a word offers the quick replies (filtered as
// typed; arrows and Enter pick, Escape closes): the pick is filled for this
// contact by the core and replaces `/word`; its file, if any, is attached.

import { Clock, File as FileIcon, LayoutTemplate, Paperclip, SendHorizontal, Smile, X } from 'lucide-preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { call, quickReplyFileUrl } from '../api';
import type { AccountDto, CommandError, ConversationDto, MessageDto, QuickReplyDto, ScheduledDto } from '../bindings';
import { fileSize, windowLeft } from '../format';
import { summary } from './Bubble';
import { EmojiPicker } from './EmojiPicker';
import { OptOutConfirm } from './OptOutConfirm';
import { QuickReplyMenu, quickReplyMatches, slashWord } from './QuickReplyMenu';
import { SendLater } from './SendLater';
import { TemplatePicker } from './TemplatePicker';
import { SHOW_TEMPLATES } from '../shortcuts';

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
  /** Files waiting to be sent (picked here or dropped on the chat). */
  attachments: File[];
  onAttach: (files: File[]) => void;
  onRemoveAttachment: (index: number) => void;
  /** Sends the attachments, the text as the first one's caption. */
  onSendMedia: (files: File[], caption: string, replyTo: MessageDto | null) => Promise<boolean>;
  onTemplateSent: (m: MessageDto) => void;
  onError: (e: CommandError) => void;
  /** Schedules the text for `sendAt` (RFC 3339, or a date-time input's local value). */
  onSchedule: (text: string, sendAt: string, replyTo: MessageDto | null) => Promise<boolean>;
  /** A template was scheduled from the template picker. */
  onScheduled: (s: ScheduledDto) => void;
}

export function Composer(p: ComposerProps) {
  const [text, setText] = useState(p.conversation.draft ?? '');
  const [emoji, setEmoji] = useState(false);
  const [showTemplates, setShowTemplates] = useState(true);
  // The palette's "Send a template": the picker opens (where the account has templates).
  const [templatesAsked, setTemplatesAsked] = useState(false);
  useEffect(() => {
    const show = () => (setShowTemplates(true), setTemplatesAsked(true));
    window.addEventListener(SHOW_TEMPLATES, show);
    return () => window.removeEventListener(SHOW_TEMPLATES, show);
  }, []);
  const [confirming, setConfirming] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const pending = useRef<number | undefined>(undefined);
  const latest = useRef(text);
  latest.current = text;
  const [caret, setCaret] = useState(text.length);
  const [quickReplies, setQuickReplies] = useState<QuickReplyDto[]>([]);
  const [active, setActive] = useState(0);
  /** Where the `/word` Escape closed the menu for (it stays closed until that word changes). */
  const [dismissed, setDismissed] = useState<string | null>(null);

  useEffect(() => {
    call('list_quick_replies')
      .then(setQuickReplies)
      .catch(() => undefined);
  }, []);

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
    setCaret(area.current?.selectionEnd ?? value.length);
    // Meta's "typing…" for a customer who waits: the core decides whether it
    // is due (setting, unanswered message, once per 20 s), so every keystroke may ask.
    if (value.length > text.length) call('owner_typing', { conversation_id: p.conversation.id }).catch(() => {});
    window.clearTimeout(pending.current);
    pending.current = window.setTimeout(() => saveDraft(value), DRAFT_DELAY);
  };

  /** Puts `value` at the cursor (or over the selection), as typing would. */
  const insert = (value: string) => {
    const el = area.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + value + text.slice(end);
    onInput(next);
    window.requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + value.length, start + value.length);
    });
  };

  const files = p.attachments;
  const optedOut = p.conversation.opted_out_at;
  const send = async (confirmed = false) => {
    const body = text;
    if ((!body.trim() && files.length === 0) || !open) return;
    // The customer asked for no more messages: the owner says so first.
    if (optedOut !== null && !confirmed) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setText('');
    window.clearTimeout(pending.current);
    pending.current = undefined;
    const ok = files.length ? await p.onSendMedia(files, body, p.replyTo) : await p.onSend(body, p.replyTo);
    if (ok) {
      p.onCancelReply();
      saveDraft('');
    } else {
      setText((now) => (now === '' ? body : now));
    }
    area.current?.focus();
  };

  // Later, not now: the text (and the reply) leaves the composer once the core accepted the time.
  const sendLater = async (sendAt: string): Promise<boolean> => {
    const body = text;
    if (!body.trim()) return false;
    const ok = await p.onSchedule(body, sendAt, p.replyTo);
    if (ok) {
      setText('');
      window.clearTimeout(pending.current);
      pending.current = undefined;
      p.onCancelReply();
      saveDraft('');
      area.current?.focus();
    }
    return ok;
  };
  const laterBlocked = !open
    ? 'The window is closed: only a template can be sent'
    : optedOut !== null
      ? 'This customer opted out of messages'
      : files.length > 0
        ? 'Attachments are sent now; remove them to schedule the text'
        : !text.trim()
          ? 'Type the message to send later'
          : null;

  const closeEmoji = () => {
    setEmoji(false);
    area.current?.focus();
  };

  const slash = open ? slashWord(text, caret) : null;
  const slashKey = slash ? `${slash.start}:${slash.query}` : null;
  const matches = slash ? quickReplyMatches(quickReplies, slash.query) : [];
  const menuOpen = slash !== null && slashKey !== dismissed;

  const pickQuickReply = async (q: QuickReplyDto) => {
    if (!slash) return;
    try {
      const filled = await call('fill_quick_reply', { shortcut: q.shortcut, conversation_id: p.conversation.id });
      const before = text.slice(0, slash.start);
      const next = before + filled.text + text.slice(caret);
      onInput(next);
      const at = before.length + filled.text.length;
      setCaret(at);
      window.requestAnimationFrame(() => {
        area.current?.focus();
        area.current?.setSelectionRange(at, at);
      });
      if (filled.file_quick_reply_id != null && filled.file_name) {
        const response = await fetch(quickReplyFileUrl(filled.file_quick_reply_id));
        if (!response.ok) throw { code: 'not_found', message: `The file of /${q.shortcut} could not be read: ${await response.text()}`, kind: null } satisfies CommandError;
        const blob = await response.blob();
        p.onAttach([new File([blob], filled.file_name, { type: filled.mime_type ?? 'application/octet-stream' })]);
      }
    } catch (e) {
      p.onError(e as CommandError);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (menuOpen && matches.length > 0 && !e.isComposing) {
      const i = Math.min(active, matches.length - 1);
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((i + (e.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        e.preventDefault();
        void pickQuickReply(matches[i]);
        return;
      }
    }
    if (menuOpen && e.key === 'Escape') {
      e.preventDefault();
      setDismissed(slashKey);
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'Escape' && confirming) {
      setConfirming(false);
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
      {windowed && !open && (
        <div class="template-toggle">
          <button type="button" class="link-btn" aria-expanded={showTemplates} onClick={() => setShowTemplates((v) => !v)}>
            <LayoutTemplate size={14} aria-hidden="true" /> {showTemplates ? 'Hide the templates' : 'Choose a template'}
          </button>
        </div>
      )}
      {windowed && (!open || templatesAsked) && showTemplates && p.account && (
        <TemplatePicker
          accountId={p.account.id}
          conversationId={p.conversation.id}
          optedOutAt={optedOut}
          onSent={p.onTemplateSent}
          onError={p.onError}
          now={p.now}
          onScheduled={p.onScheduled}
        />
      )}
      {confirming && optedOut !== null && (
        <OptOutConfirm
          at={optedOut}
          onSend={() => void send(true)}
          onCancel={() => {
            setConfirming(false);
            area.current?.focus();
          }}
        />
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
      {files.length > 0 && (
        <ul class="attachments" aria-label="Attachments">
          {files.map((f, i) => (
            <li class="attachment" key={`${f.name}-${i}`}>
              <FileIcon size={16} aria-hidden="true" />
              <span class="file-name" dir="auto">
                {f.name}
              </span>
              <span class="file-size">{fileSize(f.size)}</span>
              <button type="button" class="icon-btn" aria-label={`Remove ${f.name}`} onClick={() => p.onRemoveAttachment(i)}>
                <X size={14} aria-hidden="true" />
              </button>
            </li>
          ))}
        </ul>
      )}
      {menuOpen && slash && (
        <QuickReplyMenu query={slash.query} matches={matches} active={Math.min(active, Math.max(matches.length - 1, 0))} onHover={setActive} onPick={(q) => void pickQuickReply(q)} />
      )}
      {emoji && (
        <EmojiPicker
          onPick={(e) => {
            insert(e);
            setEmoji(false);
          }}
          onClose={closeEmoji}
        />
      )}
      <div class="composer-row">
        <button
          type="button"
          class="icon-btn composer-btn"
          aria-label="Emoji"
          title="Emoji"
          aria-expanded={emoji}
          disabled={!open}
          onClick={() => setEmoji((v) => !v)}
        >
          <Smile size={20} aria-hidden="true" />
        </button>
        <button type="button" class="icon-btn composer-btn" aria-label="Attach files" title="Attach files (or drop them on the chat)" disabled={!open} onClick={() => picker.current?.click()}>
          <Paperclip size={20} aria-hidden="true" />
        </button>
        <input
          ref={picker}
          type="file"
          multiple
          hidden
          aria-hidden="true"
          tabIndex={-1}
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            if (input.files?.length) p.onAttach([...input.files]);
            input.value = '';
            area.current?.focus();
          }}
        />
        <textarea
          ref={area}
          rows={1}
          dir="auto"
          aria-label={files.length ? 'Caption' : 'Message'}
          placeholder={
            !open ? 'The customer has not written for 24 hours: only an approved template can be sent' : files.length ? 'Add a caption' : 'Type a message'
          }
          disabled={!open}
          value={text}
          onInput={(e) => {
            onInput((e.target as HTMLTextAreaElement).value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          onKeyUp={(e) => {
            if (e.key.startsWith('Arrow') || e.key === 'Home' || e.key === 'End') setCaret((e.target as HTMLTextAreaElement).selectionEnd);
          }}
          onClick={(e) => setCaret((e.target as HTMLTextAreaElement).selectionEnd)}
          aria-controls={menuOpen ? 'quick-reply-menu' : undefined}
          aria-activedescendant={menuOpen && matches.length ? `quick-reply-${matches[Math.min(active, matches.length - 1)].id}` : undefined}
        />
        <SendLater now={p.now} windowEnds={windowed ? expires : null} blocked={laterBlocked} onSchedule={sendLater} />
        <button type="submit" class="send" aria-label="Send" title="Send (Enter)" disabled={!open || (!text.trim() && files.length === 0)}>
          <SendHorizontal size={20} aria-hidden="true" />
        </button>
      </div>
    </form>
  );
}
