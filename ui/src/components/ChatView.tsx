// One conversation: its header, the (virtualized) messages, the composer,
// and the contact panel beside them. Messages are loaded a page at a time,
// newest first, older pages on demand; events from the shell keep them
// current without polling. Files dropped anywhere on the chat are attached.
// The conversation's scheduled messages and the owner's private notes sit above the composer.

import { ArrowLeft, BadgeCheck, CircleAlert, PanelRight, Store, Upload, X } from 'lucide-preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { call, callWithBytes, on, pictureUrl } from '../api';
import type { AccountDto, CommandError, ConversationDto, MessageDto, NoteDto, ReminderDto, ScheduledDto } from '../bindings';
import { Avatar } from './Avatar';
import type { BubbleActions } from './Bubble';
import { Composer } from './Composer';
import { ContactPanel, labelColour } from './ContactPanel';
import { MessageList } from './MessageList';
import { Notes } from './Notes';
import { ScheduledList } from './ScheduledList';
import { RemindDialog, RemindersList } from './Snooze';
import { FIND_IN_CHAT, FOCUS_COMPOSER, REPLY_LATEST } from '../shortcuts';
import { FindBar } from './FindBar';
import type { ComponentChildren } from 'preact';

const PAGE = 60;
/**
 * At most this many messages are kept while reading back through a long
 * conversation: as older pages come in, the newest go (and come back page by
 * page on scrolling down), so memory stays flat however far back one reads.
 */
export const KEEP = 20 * PAGE;

/** Inserts or replaces messages by id, keeping the oldest-first order. */
export function merge(list: MessageDto[], incoming: MessageDto[]): MessageDto[] {
  if (incoming.length === 0) return list;
  const byId = new Map(list.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.timestamp - b.timestamp || a.id - b.id);
}

/** The first of the last `unread` inbound messages: where the divider goes. */
function firstUnread(messages: MessageDto[], unread: number): number | null {
  if (unread <= 0) return null;
  let seen = 0;
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].direction === 'in' && ++seen === unread) return messages[i].id;
  }
  return messages[0]?.id ?? null;
}

export interface ChatViewProps {
  conversation: ConversationDto;
  account: AccountDto | undefined;
  /** The unread count before the conversation was opened. */
  unreadAtOpen: number;
  now: number;
  onDraft: (conversationId: number, text: string) => void;
  /** The conversation's actions, shown in the header (ConversationActions). */
  actions?: ComponentChildren;
  /** Open at this message (a search result): the page around it, highlighted. */
  focusMessageId?: number | null;
  /** The customer was erased from the contact panel: the chat is gone. */
  onErased?: () => void;
  /** Back to the list: shown only where the window is too narrow for both panes. */
  onBack?: () => void;
}

export function ChatView(p: ChatViewProps) {
  const c = p.conversation;
  const [messages, setMessages] = useState<MessageDto[]>([]);
  const [hasOlder, setHasOlder] = useState(false);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);
  const [replyTo, setReplyTo] = useState<MessageDto | null>(null);
  const [divider, setDivider] = useState<number | null>(null);
  const [panel, setPanel] = useState(false);
  const [attachments, setAttachments] = useState<File[]>([]);
  const [dragging, setDragging] = useState(false);
  const [scheduled, setScheduled] = useState<ScheduledDto[]>([]);
  const [notes, setNotes] = useState<NoteDto[]>([]);
  const [reminders, setReminders] = useState<ReminderDto[]>([]);
  const [reminding, setReminding] = useState<MessageDto | null>(null);
  const current = useRef(messages);
  current.current = messages;
  // The message chosen with the arrow keys: the reply shortcut answers it.
  const selected = useRef<MessageDto | null>(null);

  // The keyboard and the palette: reply to the customer's latest message, or just write.
  useEffect(() => {
    const focus = () => document.querySelector<HTMLTextAreaElement>('.composer textarea')?.focus();
    const reply = () => {
      const chosen = selected.current && current.current.some((m) => m.id === selected.current!.id) ? selected.current : null;
      const latest = chosen ?? [...current.current].reverse().find((m) => m.direction === 'in' && m.kind !== 'notice');
      if (latest) setReplyTo(latest);
      window.setTimeout(focus, 0);
    };
    window.addEventListener(FOCUS_COMPOSER, focus);
    window.addEventListener(REPLY_LATEST, reply);
    return () => {
      window.removeEventListener(FOCUS_COMPOSER, focus);
      window.removeEventListener(REPLY_LATEST, reply);
    };
  }, []);

  // At a message (a search result, a match of the find bar): the page around
  // it, newer pages on scrolling down; else the newest page.
  const [focus, setFocus] = useState<number | null>(p.focusMessageId ?? null);
  const [hasNewer, setHasNewer] = useState(false);
  const newer = useRef(hasNewer);
  newer.current = hasNewer;
  const [loadingNewer, setLoadingNewer] = useState(false);
  const openAt = useCallback(
    (id: number | null) => {
      const ask = id === null ? { conversation_id: c.id, limit: PAGE } : { conversation_id: c.id, limit: PAGE, around: id };
      return call('list_messages', ask).then((page) => {
        setMessages(page);
        setHasOlder(id === null ? page.length === PAGE : page.length > 0 && page[0].id !== id);
        setHasNewer(id !== null && page.length > 0 && page[page.length - 1].id !== id);
        setFocus(id);
        return page;
      });
    },
    [c.id],
  );
  useEffect(() => {
    let live = true;
    openAt(p.focusMessageId ?? null)
      .then((page) => {
        if (!live) return;
        if (p.focusMessageId == null) setDivider(firstUnread(page, p.unreadAtOpen));
        setLoaded(true);
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [c.id, p.focusMessageId]);
  const loadNewer = useCallback(() => {
    const newest = current.current[current.current.length - 1];
    if (!newest || loadingNewer) return;
    setLoadingNewer(true);
    call('list_messages', { conversation_id: c.id, after: newest.id, limit: PAGE })
      .then((page) => {
        setMessages((list) => merge(list, page));
        setHasNewer(page.length === PAGE);
      })
      .catch((e) => setError(e))
      .finally(() => setLoadingNewer(false));
  }, [c.id, loadingNewer]);

  // Find in this conversation (Ctrl+F): the matches newest first, one at a time.
  const [finding, setFinding] = useState<{ query: string; ids: number[]; index: number } | null>(null);
  useEffect(() => {
    const open = () => setFinding((f) => f ?? { query: '', ids: [], index: 0 });
    window.addEventListener(FIND_IN_CHAT, open);
    return () => window.removeEventListener(FIND_IN_CHAT, open);
  }, []);
  const showMatch = (id: number) => {
    if (current.current.some((m) => m.id === id)) setFocus(id);
    else openAt(id).catch(setError);
  };
  const find = (query: string) => {
    setFinding({ query, ids: [], index: 0 });
    if (!query.trim()) return;
    call('search_conversation', { conversation_id: c.id, query })
      .then((ids) => {
        setFinding((f) => (f && f.query === query ? { query, ids, index: 0 } : f));
        if (ids.length) showMatch(ids[0]);
      })
      .catch(setError);
  };
  const step = (by: 1 | -1) => {
    if (!finding || finding.ids.length === 0) return;
    // Next goes back in time (older), previous forward.
    const index = (finding.index + by + finding.ids.length) % finding.ids.length;
    setFinding({ ...finding, index });
    showMatch(finding.ids[index]);
  };

  // What waits to be sent later; read again when the store changes (the engine sent one).
  const loadScheduled = useCallback(() => {
    call('list_scheduled', { conversation_id: c.id })
      .then(setScheduled)
      .catch(() => undefined);
  }, [c.id]);
  useEffect(() => {
    setScheduled([]);
    loadScheduled();
    const stop = on('store-changed', loadScheduled);
    return () => void stop.then((s) => s());
  }, [c.id]);

  // The owner's private notes on this conversation and its contact (read again when the store changes: the CLI may add one).
  const loadNotes = useCallback(() => {
    call('list_notes', { conversation_id: c.id })
      .then(setNotes)
      .catch(() => undefined);
  }, [c.id]);
  useEffect(() => {
    setNotes([]);
    loadNotes();
    const stop = on('store-changed', loadNotes);
    return () => void stop.then((s) => s());
  }, [c.id]);

  // The owner's pending reminders on this chat's messages (one that went off leaves at the next change).
  const loadReminders = useCallback(() => {
    call('list_reminders', { conversation_id: c.id })
      .then(setReminders)
      .catch(() => undefined);
  }, [c.id]);
  useEffect(() => {
    setReminders([]);
    loadReminders();
    const stop = on('store-changed', loadReminders);
    return () => void stop.then((s) => s());
  }, [c.id]);
  const remind = (m: MessageDto, at: string, note: string) => {
    call('add_reminder', { message_id: m.id, at, note: note.trim() || undefined })
      .then((r) => {
        setReminders((list) => [...list, r].sort((a, b) => a.remind_at - b.remind_at || a.id - b.id));
        setReminding(null);
        setError(null);
      })
      .catch(setError);
  };
  const cancelReminder = (r: ReminderDto) => {
    call('cancel_reminder', { id: r.id })
      .then(() => setReminders((list) => list.filter((x) => x.id !== r.id)))
      .catch((e) => {
        setError(e as CommandError);
        loadReminders();
      });
  };

  // Live updates: this window's sends, and commits by other processes.
  useEffect(() => {
    const stops = [
      on('message-changed', (m) => {
        if (m.conversation_id === c.id) setMessages((list) => merge(list, [m]));
      }),
      on('store-changed', () => {
        call('list_messages', { conversation_id: c.id, limit: PAGE })
          .then((page) => {
            const known = new Set(current.current.map((m) => m.id));
            const arrived = page.some((m) => m.direction === 'in' && !known.has(m.id));
            // Away from the newest (reading back): merging the newest page
            // would leave a gap; it comes in on scrolling down.
            if (!newer.current) setMessages((list) => merge(list, page));
            // Read while open: the owner is looking at it.
            if (arrived && document.hasFocus()) void call('open_conversation', { id: c.id }).catch(() => undefined);
          })
          .catch(() => undefined);
      }),
    ];
    return () => stops.forEach((s) => s.then((stop) => stop()));
  }, [c.id]);

  const loadOlder = useCallback(() => {
    const oldest = current.current[0];
    if (!oldest || loadingOlder) return;
    setLoadingOlder(true);
    call('list_messages', { conversation_id: c.id, before: oldest.id, limit: PAGE })
      .then((page) => {
        const all = merge(current.current, page);
        setMessages(all.length > KEEP ? all.slice(0, KEEP) : all);
        if (all.length > KEEP) setHasNewer(true);
        setHasOlder(page.length === PAGE);
      })
      .catch((e) => setError(e))
      .finally(() => setLoadingOlder(false));
  }, [c.id, loadingOlder]);

  const send = async (text: string, reply: MessageDto | null): Promise<boolean> => {
    try {
      const m = await call('send_text', { conversation_id: c.id, text, reply_to: reply?.id });
      setMessages((list) => merge(list, [m]));
      setError(null);
      return true;
    } catch (e) {
      setError(e as CommandError);
      return false;
    }
  };

  const sendMedia = async (files: File[], caption: string, reply: MessageDto | null): Promise<boolean> => {
    try {
      for (const [i, f] of files.entries()) {
        const bytes = new Uint8Array(await f.arrayBuffer());
        const m = await callWithBytes(
          'send_media',
          {
            conversation_id: c.id,
            file_name: f.name,
            mime: f.type || 'application/octet-stream',
            caption: i === 0 && caption.trim() ? caption : undefined,
            reply_to: i === 0 ? reply?.id : undefined,
          },
          bytes,
        );
        setMessages((list) => merge(list, [m]));
        setAttachments((list) => list.filter((x) => x !== f));
      }
      setError(null);
      return true;
    } catch (e) {
      setError(e as CommandError);
      return false;
    }
  };

  const addScheduled = (s: ScheduledDto) => {
    setScheduled((list) => [...list.filter((x) => x.id !== s.id), s].sort((a, b) => a.send_at - b.send_at || a.id - b.id));
    setError(null);
  };

  const schedule = async (text: string, sendAt: string, reply: MessageDto | null): Promise<boolean> => {
    try {
      addScheduled(await call('schedule_text', { conversation_id: c.id, text, send_at: sendAt, reply_to: reply?.id }));
      return true;
    } catch (e) {
      setError(e as CommandError);
      return false;
    }
  };

  const cancelScheduled = (s: ScheduledDto) => {
    call('cancel_scheduled', { id: s.id })
      .then(() => {
        setScheduled((list) => list.filter((x) => x.id !== s.id));
        setError(null);
      })
      .catch((e) => {
        setError(e as CommandError);
        loadScheduled();
      });
  };

  const actions: BubbleActions = {
    onRetry: (m) => {
      call('retry_message', { id: m.id })
        .then((again) => {
          setMessages((list) => merge(list, [again]));
          setError(null);
        })
        .catch(setError);
    },
    onRetryMedia: (m) => {
      if (!m.media) return;
      call('retry_media', { id: m.media.id })
        .then((media) => setMessages((list) => merge(list, [{ ...m, media }])))
        .catch(setError);
    },
    onDownloadAgain: (m) => {
      if (!m.media) return;
      call('redownload_media', { id: m.media.id })
        .then((media) => setMessages((list) => merge(list, [{ ...m, media }])))
        .catch(setError);
    },
    onOpenMedia: (m) => {
      if (m.media) call('open_media', { id: m.media.id }).catch(setError);
    },
    onRemind: setReminding,
  };

  // Files dragged from the desktop: the whole chat is the drop target.
  const hasFiles = (e: DragEvent) => [...(e.dataTransfer?.types ?? [])].includes('Files');
  const dropProps = {
    onDragEnter: (e: DragEvent) => {
      if (hasFiles(e)) setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    },
    onDragLeave: (e: DragEvent) => {
      if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node | null)) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      setDragging(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) setAttachments((list) => [...list, ...files]);
    },
  };

  return (
    <div class={`chat-wrap${panel ? ' with-panel' : ''}`}>
    <section class="chat" aria-label={`Conversation with ${c.display_name}`} {...dropProps}>
      {dragging && (
        <div class="drop-hint" aria-hidden="true">
          <Upload size={28} />
          <span>Drop to attach</span>
        </div>
      )}
      <header class="chat-header">
        {p.onBack && (
          <button type="button" class="icon-btn chat-back" aria-label="Back to the conversation list" onClick={p.onBack}>
            <ArrowLeft size={18} aria-hidden="true" />
          </button>
        )}
        <Avatar name={c.display_name} colourKey={c.avatar_key} size={36} src={c.has_picture ? pictureUrl(c.contact_id) : null} />
        <div class="chat-title">
          <h2 dir="auto">
            {c.display_name}
            {c.verified && <BadgeCheck class="badge-verified" size={16} aria-label="Verified business" />}
            {c.is_business && !c.verified && <Store class="badge-business" size={16} aria-label="Business account" />}
          </h2>
          <div class="chat-sub">
            {c.phone && c.phone !== c.display_name && <span>{c.phone}</span>}
            {c.labels.map((l) => (
              <span class="label" key={l} dir="auto">
                <span class="label-dot" style={{ background: labelColour(l) }} aria-hidden="true" />
                {l}
              </span>
            ))}
            {p.account && <span class="via">via {p.account.name}</span>}
          </div>
        </div>
        {p.actions}
        <button
          type="button"
          class="icon-btn header-btn"
          aria-label="Contact info"
          title="Contact info"
          aria-pressed={panel}
          onClick={() => setPanel((v) => !v)}
        >
          <PanelRight size={20} aria-hidden="true" />
        </button>
      </header>
      {finding && (
        <FindBar
          query={finding.query}
          count={finding.ids.length}
          index={finding.index}
          onQuery={find}
          onStep={step}
          onClose={() => (setFinding(null), setFocus(null))}
        />
      )}
      {loaded ? (
        <MessageList
          messages={messages}
          hasOlder={hasOlder}
          loadingOlder={loadingOlder}
          onLoadOlder={loadOlder}
          hasNewer={hasNewer}
          loadingNewer={loadingNewer}
          onLoadNewer={loadNewer}
          focusId={focus}
          newBeforeId={divider}
          newCount={p.unreadAtOpen}
          now={p.now}
          isGroup={c.is_group}
          peerName={c.display_name}
          onReply={setReplyTo}
          onSelect={(m) => (selected.current = m)}
          actions={actions}
        />
      ) : (
        <div class="messages placeholder" aria-busy="true" />
      )}
      {error && (
        <div class="chat-error" role="alert">
          <CircleAlert size={16} aria-hidden="true" />
          <span>{error.message}</span>
          <button type="button" class="icon-btn" aria-label="Dismiss" onClick={() => setError(null)}>
            <X size={14} aria-hidden="true" />
          </button>
        </div>
      )}
      <ScheduledList items={scheduled} now={p.now} onCancel={cancelScheduled} />
      <RemindersList items={reminders} now={p.now} onCancel={cancelReminder} onShow={(r) => showMatch(r.message_id)} />
      <Notes collapsible title="Private notes" notes={notes} conversationId={c.id} onContact={false} now={p.now} onChange={setNotes} onError={setError} />
      <Composer
        key={c.id}
        conversation={c}
        account={p.account}
        now={p.now}
        replyTo={replyTo}
        peerName={c.display_name}
        onCancelReply={() => setReplyTo(null)}
        onSend={send}
        onDraft={p.onDraft}
        attachments={attachments}
        onAttach={(files) => setAttachments((list) => [...list, ...files])}
        onRemoveAttachment={(i) => setAttachments((list) => list.filter((_, j) => j !== i))}
        onSendMedia={sendMedia}
        onTemplateSent={(m) => {
          setMessages((list) => merge(list, [m]));
          setError(null);
        }}
        onError={setError}
        onSchedule={schedule}
        onScheduled={addScheduled}
      />
    </section>
    {reminding && <RemindDialog m={reminding} now={p.now} onRemind={(at, note) => remind(reminding, at, note)} onClose={() => setReminding(null)} />}
    {panel && (
      <ContactPanel c={c} account={p.account} onClose={() => setPanel(false)} onErased={() => (setPanel(false), p.onErased?.())}>
        <Notes
          title="Notes"
          notes={notes.filter((n) => n.contact_id !== null)}
          conversationId={c.id}
          onContact={true}
          now={p.now}
          onChange={setNotes}
          onError={setError}
        />
      </ContactPanel>
    )}
    </div>
  );
}
