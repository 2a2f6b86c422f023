// The templates of a Meta account, offered when the 24-hour window is
// closed: pick an approved one, fill its parameters (the preview shows what
// the customer will read), send. One Meta paused, rejected or disabled is
// listed, marked and not pickable, with Meta's reason. The core checks the
// parameters (and the status) again. "Send later" beside Send template
// schedules it instead (a template may go whatever the window).

import { FileText, SendHorizontal } from 'lucide-preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, MessageDto, ScheduledDto, TemplateDto } from '../bindings';
import { OptOutConfirm } from './OptOutConfirm';
import { SendLater } from './SendLater';

/** `{{1}}` / `{{name}}` replaced by the typed values; empty ones stay as placeholders. */
export function fill(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([\p{L}\p{N}_]+)\s*\}\}/gu, (whole, key: string) => values[key]?.trim() || whole);
}

function label(t: TemplateDto): string {
  return t.name.replace(/_/g, ' ');
}

/** The templates Meta paused, rejected or disabled: shown with why, never pickable. */
function Unsendable({ list }: { list: TemplateDto[] }) {
  const blocked = list.filter((t) => !t.sendable);
  if (blocked.length === 0) return null;
  return (
    <ul class="template-blocked" aria-label="Templates that cannot be sent">
      {blocked.map((t) => (
        <li key={`${t.name}/${t.language}`} aria-disabled="true">
          <FileText size={14} aria-hidden="true" />
          <span class="template-blocked-name">{label(t)}</span>
          <span class={`template-status template-status-${t.status.toLowerCase()}`}>{t.status.toLowerCase().replace(/_/g, ' ')}</span>
          {t.status_reason && <span class="template-reason" dir="auto">{t.status_reason}</span>}
        </li>
      ))}
    </ul>
  );
}

export interface TemplatePickerProps {
  accountId: number;
  conversationId: number;
  /** When the customer opted out: a send asks first. */
  optedOutAt: number | null;
  onSent: (m: MessageDto) => void;
  onError: (e: CommandError) => void;
  now: number;
  onScheduled: (s: ScheduledDto) => void;
}

export function TemplatePicker(p: TemplatePickerProps) {
  const [templates, setTemplates] = useState<TemplateDto[] | null>(null);
  const [chosen, setChosen] = useState<TemplateDto | null>(null);
  const [header, setHeader] = useState<Record<string, string>>({});
  const [body, setBody] = useState<Record<string, string>>({});
  const [buttons, setButtons] = useState<Record<number, string>>({});
  // The link of a media header's file (image, video, document).
  const [headerLink, setHeaderLink] = useState('');
  const [sending, setSending] = useState(false);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    call('list_templates', { account_id: p.accountId })
      .then(setTemplates)
      .catch((e) => {
        setTemplates([]);
        p.onError(e);
      });
  }, [p.accountId]);

  const choose = (t: TemplateDto | null) => {
    setChosen(t);
    setHeader({});
    setBody({});
    setButtons({});
    setHeaderLink('');
  };
  // Media headers Wicket fills from a link; a LOCATION header it cannot fill.
  const mediaHeader = chosen?.header_media && chosen.header_media !== 'LOCATION' ? chosen.header_media.toLowerCase() : null;
  const unfillable = chosen?.header_media === 'LOCATION';

  const missing = useMemo(() => {
    if (!chosen) return true;
    const empty = (names: string[], v: Record<string, string>) => names.some((n) => !v[n]?.trim());
    const link = chosen.header_media && chosen.header_media !== 'LOCATION' ? !headerLink.trim().startsWith('https://') : false;
    return link || empty(chosen.header_params, header) || empty(chosen.body_params, body) || chosen.url_buttons.some((i) => !buttons[i]?.trim());
  }, [chosen, header, body, buttons, headerLink]);

  /** The template and its parameters as the shell takes them. */
  const args = (t: TemplateDto) => {
    const params = (names: string[], v: Record<string, string>) => names.map((n) => ({ name: t.named ? n : undefined, value: v[n].trim() }));
    return {
      conversation_id: p.conversationId,
      name: t.name,
      language: t.language,
      header_params: mediaHeader ? [{ value: headerLink.trim() }] : params(t.header_params, header),
      body_params: params(t.body_params, body),
      button_params: t.url_buttons.map((index) => ({ index, value: buttons[index].trim() })),
    };
  };

  const scheduleLater = async (sendAt: string): Promise<boolean> => {
    if (!chosen || missing) return false;
    try {
      p.onScheduled(await call('schedule_template', { template: args(chosen), send_at: sendAt }));
      choose(null);
      return true;
    } catch (e) {
      p.onError(e as CommandError);
      return false;
    }
  };

  const send = async (confirmed = false) => {
    if (!chosen || missing || sending) return;
    if (p.optedOutAt !== null && !confirmed) {
      setConfirming(true);
      return;
    }
    setConfirming(false);
    setSending(true);
    try {
      const m = await call('send_template', args(chosen));
      p.onSent(m);
      choose(null);
    } catch (e) {
      p.onError(e as CommandError);
    } finally {
      setSending(false);
    }
  };

  if (templates === null) return <div class="templates muted">Loading the approved templates…</div>;
  if (!templates.some((t) => t.sendable)) {
    return (
      <div class="templates muted" role="status">
        No approved templates for this number: create one in Meta's WhatsApp Manager, then sync the templates.
        {templates.length > 0 && <Unsendable list={templates} />}
      </div>
    );
  }

  const field = (part: string, name: string, value: string, set: (v: string) => void) => (
    <label class="template-field" key={`${part}-${name}`}>
      <span>
        {part} {chosen?.named ? name.replace(/_/g, ' ') : `{{${name}}}`}
      </span>
      <input type="text" dir="auto" value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </label>
  );

  return (
    <div class="templates" role="group" aria-label="Approved templates">
      <div class="template-list" role="radiogroup" aria-label="Template">
        {templates
          .filter((t) => t.sendable)
          .map((t) => (
          <button
            type="button"
            role="radio"
            aria-checked={chosen?.name === t.name && chosen.language === t.language}
            key={`${t.name}/${t.language}`}
            class="template-chip"
            onClick={() => choose(chosen?.name === t.name && chosen.language === t.language ? null : t)}
          >
            <FileText size={14} aria-hidden="true" />
            {label(t)}
            <span class="template-meta">
              {t.language}
              {t.category ? ` · ${t.category.toLowerCase()}` : ''}
            </span>
          </button>
        ))}
      </div>
      <Unsendable list={templates} />
      {chosen && (
        <form
          class="template-form"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          {unfillable ? (
            <p class="template-warn" role="note">
              This template has a location header, which Wicket cannot fill yet: choose another.
            </p>
          ) : null}
          <div class="template-fields">
            {mediaHeader && (
              <label class="template-field" key="header-link">
                <span>Header {mediaHeader} (https:// link)</span>
                <input type="url" placeholder="https://…" value={headerLink} onInput={(e) => setHeaderLink((e.target as HTMLInputElement).value)} />
              </label>
            )}
            {chosen.header_params.map((n) => field('Header', n, header[n] ?? '', (v) => setHeader((h) => ({ ...h, [n]: v }))))}
            {chosen.body_params.map((n) => field('Body', n, body[n] ?? '', (v) => setBody((b) => ({ ...b, [n]: v }))))}
            {chosen.url_buttons.map((i) => field('Button link', String(i + 1), buttons[i] ?? '', (v) => setButtons((b) => ({ ...b, [i]: v }))))}
          </div>
          <div class="template-preview" aria-label="Preview" role="region">
            {mediaHeader && <p class="tp-header">[{mediaHeader}]</p>}
            {chosen.header_text && (
              <p class="tp-header" dir="auto">
                {fill(chosen.header_text, header)}
              </p>
            )}
            <p class="tp-body" dir="auto">
              {fill(chosen.body_text, body)}
            </p>
            {chosen.footer_text && <p class="tp-footer">{chosen.footer_text}</p>}
            {chosen.buttons.length > 0 && (
              <div class="tp-buttons">
                {chosen.buttons.map((b) => (
                  <span key={b}>{b}</span>
                ))}
              </div>
            )}
          </div>
          {confirming && p.optedOutAt !== null && <OptOutConfirm at={p.optedOutAt} onSend={() => void send(true)} onCancel={() => setConfirming(false)} />}
          <div class="template-actions">
            <button type="submit" class="btn-primary" disabled={missing || sending || unfillable}>
              <SendHorizontal size={16} aria-hidden="true" /> Send template
            </button>
            <SendLater
              now={p.now}
              windowEnds={null}
              label="Send the template later"
              what="this template"
              blocked={
                unfillable
                  ? 'This template cannot be filled yet'
                  : p.optedOutAt !== null
                    ? 'This customer opted out of messages'
                    : missing
                      ? 'Fill in the template first'
                      : null
              }
              onSchedule={scheduleLater}
            />
          </div>
        </form>
      )}
    </div>
  );
}
