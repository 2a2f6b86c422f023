// The contact panel: who the customer is, beside the chat (about 300 px,
// sliding in from the right; over the chat in narrow windows). Everything
// shown comes from the conversation row; the picture is the cached file.
// The owner's private notes on the contact follow the facts (`children`).

import { BadgeCheck, BellOff, Building2, Phone, Quote, Store, Tag, X } from 'lucide-preact';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { pictureUrl } from '../api';
import type { AccountDto, ConversationDto } from '../bindings';
import { longDateTime } from '../format';
import { Avatar } from './Avatar';
import { ContactMerge } from './ContactMerge';
import { CustomerData } from './CustomerData';

export function ContactPanel({
  c,
  account,
  onClose,
  onErased,
  children,
}: {
  c: ConversationDto;
  account: AccountDto | undefined;
  onClose: () => void;
  onErased?: () => void;
  children?: ComponentChildren;
}) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  const labels = [...new Set([...c.labels, ...c.contact_labels])];
  return (
    <aside
      class="contact-panel"
      aria-label={`About ${c.display_name}`}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <header class="panel-head">
        <h3>Contact info</h3>
        <button type="button" ref={close} class="icon-btn" aria-label="Close the contact panel" onClick={onClose}>
          <X size={18} aria-hidden="true" />
        </button>
      </header>
      <div class="panel-body">
        <div class="panel-id">
          <Avatar name={c.display_name} colourKey={c.avatar_key} size={96} src={c.has_picture ? pictureUrl(c.contact_id) : null} />
          <h4 dir="auto">{c.display_name}</h4>
          {c.verified ? (
            <span class="badge badge-verified-text">
              <BadgeCheck size={14} aria-hidden="true" /> Verified business{c.verified_name && c.verified_name !== c.display_name ? `: ${c.verified_name}` : ''}
            </span>
          ) : c.is_business ? (
            <span class="badge">
              <Store size={14} aria-hidden="true" /> Business account
            </span>
          ) : null}
        </div>
        {c.opted_out_at !== null && (
          <p class="opted-out" role="note">
            <BellOff size={16} aria-hidden="true" />
            <span>Opted out of messages since {longDateTime(c.opted_out_at)}. They wrote STOP (or another opt-out word); bulk and automatic messages skip them.</span>
          </p>
        )}
        <dl class="panel-facts">
          {c.phone && (
            <div>
              <dt>
                <Phone size={14} aria-hidden="true" /> Number
              </dt>
              <dd class="ltr">{c.phone}</dd>
            </div>
          )}
          {c.status_text && (
            <div>
              <dt>
                <Quote size={14} aria-hidden="true" /> About
              </dt>
              <dd dir="auto">{c.status_text}</dd>
            </div>
          )}
          {c.company && (
            <div>
              <dt>
                <Building2 size={14} aria-hidden="true" /> Company
              </dt>
              <dd dir="auto">{c.company}</dd>
            </div>
          )}
          {labels.length > 0 && (
            <div>
              <dt>
                <Tag size={14} aria-hidden="true" /> Labels
              </dt>
              <dd class="panel-labels">
                {labels.map((l) => (
                  <span class="label" key={l} dir="auto">
                    <span class="label-dot" style={{ background: labelColour(l) }} aria-hidden="true" />
                    {l}
                  </span>
                ))}
              </dd>
            </div>
          )}
          {account && (
            <div>
              <dt>Talks to</dt>
              <dd dir="auto">
                {account.name}
                {/* A dot, not brackets: names often carry their own ("Demo shop (sample data)"). */}
                {account.phone ? ` · ${account.phone}` : ''}
              </dd>
            </div>
          )}
        </dl>
        {children}
        {!c.is_group && <ContactMerge c={c} />}
        <CustomerData c={c} onErased={onErased ?? onClose} />
      </div>
    </aside>
  );
}

/** Nine label colours (all readable as a dot on light and dark), stable per label name. */
const LABEL_COLOURS = ['#0f766e', '#b45309', '#7c3aed', '#be185d', '#1d4ed8', '#4d7c0f', '#c2410c', '#0e7490', '#9f1239'];

/** FNV-1a over the label's characters picks its colour. */
export function labelColour(label: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return LABEL_COLOURS[(h >>> 0) % LABEL_COLOURS.length];
}
