import { Ban, BellPlus, CircleAlert, CircleQuestionMark, Contact, Download, FileText, Image, MapPin, Megaphone, Mic, Reply, RotateCw, ShoppingBag, Smartphone, Sticker, Video } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { mediaUrl } from '../api';
import type { MessageDto, ReactionDto } from '../bindings';
import { clockTime, fileSize } from '../format';
import { Ticks } from './Ticks';

/** What a bubble can ask of the chat: retry a send or a download, open a file. */
export interface BubbleActions {
  onRetry: (m: MessageDto) => void;
  onRetryMedia: (m: MessageDto) => void;
  /** A file removed to save space, downloaded again while WhatsApp still has it. */
  onDownloadAgain: (m: MessageDto) => void;
  onOpenMedia: (m: MessageDto) => void;
  /** "Remind me" about this message (Snooze.tsx's dialog). */
  onRemind?: (m: MessageDto) => void;
}

/** "🎂 2" chips: one per emoji, counted. */
function reactionChips(reactions: ReactionDto[]) {
  const counts = new Map<string, number>();
  for (const r of reactions) counts.set(r.emoji, (counts.get(r.emoji) ?? 0) + 1);
  return [...counts.entries()];
}

/** A short description of a message for quotes and previews. */
export function summary(kind: string, text: string | null): string {
  if (text) return text;
  const names: Record<string, string> = {
    image: 'Photo',
    sticker: 'Sticker',
    video: 'Video',
    audio: 'Audio',
    voice: 'Voice message',
    document: 'Document',
    location: 'Location',
    contacts: 'Contact card',
    order: 'Order',
  };
  return names[kind] ?? 'Message';
}

/**
 * Audio and video play from a blob: of the file's bytes. WebKitGTK's media
 * player refuses a custom scheme as a source (FormatError) but plays blobs;
 * the bytes come from the same wicket-media: address. Falls back to it.
 */
function usePlayable(url: string): string | null {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let blobUrl: string | null = null;
    let live = true;
    fetch(url)
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
      .then((b) => {
        blobUrl = URL.createObjectURL(b);
        if (live) setSrc(blobUrl);
      })
      .catch(() => live && setSrc(url));
    return () => {
      live = false;
      if (blobUrl) URL.revokeObjectURL(blobUrl);
    };
  }, [url]);
  return src;
}

function Playable({ kind, url, label }: { kind: 'audio' | 'video'; url: string; label: string }) {
  const src = usePlayable(url);
  if (!src) return <span class="media-note">Loading…</span>;
  return kind === 'video' ? <video src={src} controls preload="metadata" aria-label={label} /> : <audio src={src} controls preload="metadata" aria-label={label} />;
}

/** Downloading, failed with its reason and a retry, or removed to save space. */
function MediaState({ m, actions }: { m: MessageDto; actions?: BubbleActions }) {
  const f = m.media;
  if (f?.state === 'evicted') {
    // No error: the provider can still give it back. An error says why it cannot.
    return (
      <span class="media-note media-failed media-evicted">
        <span>Removed to save space</span>
        {f.error ? (
          <span class="media-gone" title={f.error}>
            No longer available from WhatsApp
          </span>
        ) : (
          actions && (
            <button type="button" class="link-btn" onClick={() => actions.onDownloadAgain(m)}>
              <Download size={14} aria-hidden="true" /> Download again
            </button>
          )
        )}
      </span>
    );
  }
  if (f?.state === 'failed') {
    return (
      <span class="media-note media-failed">
        <span>Download failed{f.error ? `: ${f.error}` : ''}</span>
        {actions && (
          <button type="button" class="link-btn" onClick={() => actions.onRetryMedia(m)}>
            <RotateCw size={14} aria-hidden="true" /> Retry download
          </button>
        )}
      </span>
    );
  }
  return <span class="media-note">Downloading…</span>;
}

function Media({ m, actions }: { m: MessageDto; actions?: BubbleActions }) {
  const f = m.media;
  const ready = f?.state === 'downloaded';
  const [broken, setBroken] = useState(false);
  const label = `${summary(m.kind, null)}${f?.file_name ? `: ${f.file_name}` : ''}`;
  switch (m.kind) {
    case 'image':
    case 'sticker': {
      if (ready && !broken) {
        // A fixed box: the list never jumps when the picture arrives. Click opens it full size.
        return (
          <button type="button" class={`media-box media-${m.kind} media-shown`} title="Open with your image viewer" onClick={() => actions?.onOpenMedia(m)}>
            <img src={mediaUrl(f!.id)} alt={label} loading="lazy" decoding="async" draggable={false} onError={() => setBroken(true)} />
          </button>
        );
      }
      const Icon = m.kind === 'image' ? Image : Sticker;
      return (
        <div class={`media-box media-${m.kind}`} role="img" aria-label={label}>
          <Icon size={32} aria-hidden="true" />
          {ready ? <span class="media-note">The file is missing from the media folder</span> : <MediaState m={m} actions={actions} />}
        </div>
      );
    }
    case 'video':
      if (ready) {
        return (
          <div class="media-box media-video media-shown">
            <Playable kind="video" url={mediaUrl(f!.id)} label={label} />
          </div>
        );
      }
      return (
        <div class="media-box media-video" role="img" aria-label={label}>
          <Video size={32} aria-hidden="true" />
          <MediaState m={m} actions={actions} />
        </div>
      );
    case 'audio':
    case 'voice':
      return (
        <div class="audio-card">
          <Mic size={20} aria-hidden="true" />
          {ready ? (
            <Playable kind="audio" url={mediaUrl(f!.id)} label={m.kind === 'voice' ? 'Voice message' : label} />
          ) : (
            <span class="file-name">
              {m.kind === 'voice' ? 'Voice message' : (f?.file_name ?? 'Audio')} <MediaState m={m} actions={actions} />
            </span>
          )}
        </div>
      );
    case 'document':
      if (ready) {
        return (
          <button type="button" class="file-card file-open" title="Open with the app for this file" onClick={() => actions?.onOpenMedia(m)}>
            <FileText size={20} aria-hidden="true" />
            <span class="file-name" dir="auto">
              {f?.file_name ?? 'Document'}
            </span>
            <span class="file-size">
              {fileSize(f?.size ?? null)}
              {f?.mime ? ` · ${fileKind(f.mime)}` : ''}
            </span>
            <Download class="file-action" size={16} aria-hidden="true" />
          </button>
        );
      }
      return (
        <div class="file-card">
          <FileText size={20} aria-hidden="true" />
          <span class="file-name" dir="auto">
            {f?.file_name ?? 'Document'}
          </span>
          <span class="file-size">
            <MediaState m={m} actions={actions} />
          </span>
        </div>
      );
    default:
      return null;
  }
}

/** "PDF", "DOCX"… from a MIME type, for a file card. */
function fileKind(mime: string): string {
  const sub = mime.split('/')[1]?.split(';')[0] ?? '';
  const known: Record<string, string> = {
    pdf: 'PDF',
    'vnd.openxmlformats-officedocument.wordprocessingml.document': 'Word',
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'Excel',
    msword: 'Word',
    plain: 'Text',
  };
  return known[sub] ?? sub.toUpperCase().slice(0, 8);
}

/** A map link would load a remote page: the place is shown as text, with its coordinates to copy. */
function Body({ m, actions }: { m: MessageDto; actions?: BubbleActions }) {
  switch (m.kind) {
    case 'location': {
      const l = m.location;
      return (
        <div class="file-card location-card">
          <MapPin size={20} aria-hidden="true" />
          <span class="file-name" dir="auto">{l?.name ?? 'Location'}</span>
          <span class="file-size" dir="auto">
            {l?.address ?? ''}
            {l ? ` (${l.latitude.toFixed(4)}, ${l.longitude.toFixed(4)})` : ''}
          </span>
        </div>
      );
    }
    case 'contacts':
      return (
        <>
          {m.contacts.map((c, i) => (
            <div class="file-card contact-card" key={i}>
              <Contact size={20} aria-hidden="true" />
              <span class="file-name" dir="auto">
                {c.name}
              </span>
              <span class="file-size">{c.phones.join(', ') || 'No number'}</span>
            </div>
          ))}
        </>
      );
    case 'order': {
      // The catalog cart: each item with its quantity and unit price, the total, the customer's note.
      const o = m.order;
      return (
        <div class="order-card" role="group" aria-label="Order">
          <div class="order-head">
            <ShoppingBag size={18} aria-hidden="true" />
            <span>Order</span>
            {o?.total && <span class="order-total">{o.total}</span>}
          </div>
          <ul class="order-items">
            {(o?.items ?? []).map((i, n) => (
              <li key={n}>
                <span class="order-qty">{i.quantity} ×</span>
                <span class="order-sku" dir="auto">
                  {i.product_retailer_id ?? 'Item'}
                </span>
                <span class="order-price">{i.price ?? ''}</span>
              </li>
            ))}
          </ul>
          {o?.note && (
            <p class="order-note" dir="auto">
              {o.note}
            </p>
          )}
        </div>
      );
    }
    case 'unsupported':
      // The provider's reason when it gave one (an undeliverable message), never an empty bubble.
      return m.error ? (
        <div class="undelivered" role="note">
          <p class="text muted">
            <CircleAlert size={14} aria-hidden="true" /> {m.error.message}: open it on your phone.
          </p>
          {m.error.details && (
            <p class="undelivered-details" dir="auto">
              {m.error.details}
            </p>
          )}
        </div>
      ) : (
        <p class="text muted">Unsupported message type: open it on your phone.</p>
      );
    default:
      return <Media m={m} actions={actions} />;
  }
}

/** One message. Customer text is rendered as text nodes, never as HTML. */
export function Bubble({
  m,
  peer,
  onReply,
  groupSender,
  actions,
}: {
  m: MessageDto;
  peer: string;
  onReply: (m: MessageDto) => void;
  groupSender: boolean;
  actions?: BubbleActions;
}) {
  const out = m.direction === 'out';
  // An away or greeting message Wicket sent by itself (`wicket_core::away`).
  const automatic = out && m.origin === 'automatic';
  const deleted = m.deleted_at !== null;
  if (m.kind === 'notice') {
    // Nobody wrote it (a number change, a group's new subject): a centred line.
    return (
      <div class="notice-row" data-message-id={m.id} role="note">
        <span dir="auto">
          {m.text} · <time dateTime={new Date(m.timestamp).toISOString()}>{clockTime(m.timestamp)}</time>
        </span>
      </div>
    );
  }
  // An unsupported message's stored text is a placeholder the Body already
  // says; an order's is the summary its card shows.
  const text = deleted || m.kind === 'unsupported' || m.kind === 'order' ? null : (m.text ?? m.caption);
  const chips = reactionChips(m.reactions);
  const time = clockTime(m.timestamp);
  return (
    <div class={`bubble-row ${out ? 'out' : 'in'}`} data-message-id={m.id}>
      <div class={`bubble ${out ? 'out' : 'in'}${m.status === 'failed' ? ' failed' : ''}${text || deleted ? '' : ' no-text'}${m.edited_at !== null && !deleted ? ' is-edited' : ''}`}>
        {groupSender && !out && m.sender_name && (
          <div class="sender" dir="auto">
            {m.sender_name}
          </div>
        )}
        {m.referral && !deleted && (
          <div class="ad-chip" title={m.referral.source_url ?? undefined}>
            <Megaphone size={13} aria-hidden="true" />
            <span dir="auto">came from an ad: {m.referral.headline ?? m.referral.body ?? m.referral.source_url ?? 'no details'}</span>
          </div>
        )}
        {m.is_reply && (
          <div class="quote">
            {m.reply_to ? (
              <>
                <span class="quote-who" dir="auto">
                  {m.reply_to.direction === 'out' ? 'You' : peer}
                </span>
                <span class="quote-text" dir="auto">
                  {summary(m.reply_to.kind, m.reply_to.text)}
                </span>
              </>
            ) : (
              <span class="quote-text muted">Quoted message not available</span>
            )}
          </div>
        )}
        {deleted ? (
          <p class={`text deleted${out ? ' with-ticks' : ''}`} data-meta={time}>
            <Ban size={14} aria-hidden="true" /> This message was deleted
          </p>
        ) : (
          <Body m={m} actions={actions} />
        )}
        {text && (
          // The ::after spacer is as wide as the time (and ticks), so the
          // last line leaves room for them or the time moves to a line of its own.
          <p
            class={`text${out ? ' with-ticks' : ''}${out && m.origin === 'phone' ? ' from-phone-room' : ''}`}
            dir="auto"
            data-meta={[automatic && 'automatic', m.edited_at !== null && 'edited', time].filter(Boolean).join(' ')}
          >
            {text}
          </p>
        )}
        <span class="meta">
          {m.edited_at !== null && !deleted && (
            <span class="edited" title={`Edited at ${clockTime(m.edited_at)}`}>
              edited
            </span>
          )}
          {automatic && (
            <span class="automatic" title="Sent automatically by Wicket: an away or greeting message">
              automatic
            </span>
          )}
          {out && m.origin === 'phone' && (
            <span class="from-phone" title="Sent from your phone" aria-label="Sent from your phone" role="img">
              <Smartphone size={11} aria-hidden="true" />
            </span>
          )}
          <time dateTime={new Date(m.timestamp).toISOString()}>{time}</time>
          {out && <Ticks status={m.status} />}
        </span>
        <button type="button" class="reply-btn" aria-label="Reply" title="Reply" onClick={() => onReply(m)}>
          <Reply size={14} aria-hidden="true" />
        </button>
        {actions?.onRemind && !deleted && (
          <button type="button" class="remind-btn" aria-label="Remind me" title="Remind me about this message" onClick={() => actions.onRemind?.(m)}>
            <BellPlus size={14} aria-hidden="true" />
          </button>
        )}
      </div>
      {chips.length > 0 && (
        <div class="reactions" aria-label="Reactions">
          {chips.map(([emoji, n]) => (
            <span class="chip" key={emoji}>
              {emoji}
              {n > 1 ? ` ${n}` : ''}
            </span>
          ))}
        </div>
      )}
      {m.status === 'unknown' && (
        <div class="failed-note unknown-note" role="note">
          <span>
            <CircleQuestionMark size={14} aria-hidden="true" />
            May have been sent: check the chat on the phone before sending it again
          </span>
          {m.can_retry && actions && (
            <button type="button" class="link-btn" onClick={() => actions.onRetry(m)}>
              <RotateCw size={14} aria-hidden="true" /> Send again
            </button>
          )}
        </div>
      )}
      {m.status === 'failed' && (
        <div class="failed-note" role="note">
          <span>
            <CircleAlert size={14} aria-hidden="true" />
            Not sent: {m.error?.message ?? 'the provider refused it'}
          </span>
          {m.can_retry && actions && (
            <button type="button" class="link-btn" onClick={() => actions.onRetry(m)}>
              <RotateCw size={14} aria-hidden="true" /> Retry
            </button>
          )}
        </div>
      )}
    </div>
  );
}
