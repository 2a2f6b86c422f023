import { CircleAlert, Contact, FileText, Image, MapPin, Mic, Reply, Sticker, Video } from 'lucide-preact';
import type { MessageDto, ReactionDto } from '../bindings';
import { clockTime, fileSize } from '../format';
import { Ticks } from './Ticks';

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
  };
  return names[kind] ?? 'Message';
}

function Media({ m }: { m: MessageDto }) {
  const f = m.media;
  const state = f?.state ?? 'pending';
  const note = state === 'pending' ? 'Downloading…' : state === 'failed' ? `Download failed${f?.error ? `: ${f.error}` : ''}` : '';
  switch (m.kind) {
    case 'image':
    case 'video':
    case 'sticker': {
      const Icon = m.kind === 'image' ? Image : m.kind === 'video' ? Video : Sticker;
      // A fixed ratio: the list never jumps when the picture arrives.
      return (
        <div class={`media-box media-${m.kind}`} role="img" aria-label={`${summary(m.kind, null)}${f?.file_name ? `: ${f.file_name}` : ''}`}>
          <Icon size={32} aria-hidden="true" />
          <span class="media-note">{note || fileSize(f?.size ?? null)}</span>
        </div>
      );
    }
    case 'audio':
    case 'voice':
      return (
        <div class="file-card">
          <Mic size={20} aria-hidden="true" />
          <span class="file-name">{m.kind === 'voice' ? 'Voice message' : (f?.file_name ?? 'Audio')}</span>
          <span class="file-size">{note || fileSize(f?.size ?? null)}</span>
        </div>
      );
    case 'document':
      return (
        <div class="file-card">
          <FileText size={20} aria-hidden="true" />
          <span class="file-name" dir="auto">{f?.file_name ?? 'Document'}</span>
          <span class="file-size">{note || fileSize(f?.size ?? null)}</span>
        </div>
      );
    default:
      return null;
  }
}

function Body({ m }: { m: MessageDto }) {
  switch (m.kind) {
    case 'location': {
      const l = m.location;
      return (
        <div class="file-card">
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
            <div class="file-card" key={i}>
              <Contact size={20} aria-hidden="true" />
              <span class="file-name" dir="auto">{c.name}</span>
              <span class="file-size">{c.phones.join(', ')}</span>
            </div>
          ))}
        </>
      );
    case 'unsupported':
      return <p class="text muted">Unsupported message type: open it on your phone.</p>;
    default:
      return <Media m={m} />;
  }
}

/** One message. Customer text is rendered as text nodes, never as HTML. */
export function Bubble({ m, peer, onReply, groupSender }: { m: MessageDto; peer: string; onReply: (m: MessageDto) => void; groupSender: boolean }) {
  const out = m.direction === 'out';
  const text = m.text ?? m.caption;
  const chips = reactionChips(m.reactions);
  const time = clockTime(m.timestamp);
  return (
    <div class={`bubble-row ${out ? 'out' : 'in'}`} data-message-id={m.id}>
      <div class={`bubble ${out ? 'out' : 'in'}${m.status === 'failed' ? ' failed' : ''}${text ? '' : ' no-text'}`}>
        {groupSender && !out && m.sender_name && (
          <div class="sender" dir="auto">
            {m.sender_name}
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
        <Body m={m} />
        {text && (
          // The ::after spacer is as wide as the time (and ticks), so the
          // last line leaves room for them or the time moves to a line of its own.
          <p class={`text${out ? ' with-ticks' : ''}`} dir="auto" data-meta={time}>
            {text}
          </p>
        )}
        <span class="meta">
          <time dateTime={new Date(m.timestamp).toISOString()}>{time}</time>
          {out && <Ticks status={m.status} />}
        </span>
        <button type="button" class="reply-btn" aria-label="Reply" title="Reply" onClick={() => onReply(m)}>
          <Reply size={14} aria-hidden="true" />
        </button>
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
      {m.status === 'failed' && (
        <div class="failed-note" role="note">
          <CircleAlert size={14} aria-hidden="true" />
          Not sent: {m.error?.message ?? 'the provider refused it'}
        </div>
      )}
    </div>
  );
}
