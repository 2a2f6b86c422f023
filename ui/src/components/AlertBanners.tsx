// Alerts in the inbox: one banner per thing that needs the owner (an expired
// token, a logged-out session, a paused template, the number's quality,
// signature failures, a stuck outbox), each saying what fixes it. The list
// comes from the shell (`list_alerts`, the same as `wicket alerts`) and is
// asked again when the shell says it changed. The public address has its
// own banner with a Restart button (PublicAddress.tsx), so it is left out.

import { CircleAlert, TriangleAlert } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { call, on } from '../api';
import type { AlertDto } from '../bindings';

/** Alerts that replace the account's plain status banner (they say what to do). */
export const STATUS_ALERTS = ['token_expired', 'session_logged_out'];

/** The current alerts, kept fresh. */
export function useAlerts(): AlertDto[] {
  const [alerts, setAlerts] = useState<AlertDto[]>([]);
  useEffect(() => {
    const load = () => call('list_alerts').then(setAlerts).catch(() => undefined);
    load();
    const subs = [on('alerts-changed', load), on('account-state', load)];
    return () => subs.forEach((p) => p.then((un) => un()));
  }, []);
  return alerts;
}

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1 };

function AlertItem({ a, full }: { a: AlertDto; full: boolean }) {
  const Icon = a.severity === 'critical' ? CircleAlert : TriangleAlert;
  // The account's name leads, unless the message already starts with it.
  const named = a.account_name && !a.message.startsWith(a.account_name);
  return (
    <div class={`account-banner alert-banner alert-${a.severity}${full ? '' : ' alert-collapsed'}`} role="status" data-kind={a.kind}>
      <Icon size={16} aria-hidden="true" />
      <span class="alert-text">
        {named && (
          <>
            <strong dir="auto">{a.account_name}</strong>
            {': '}
          </>
        )}
        {a.message}
        {full && <span class="alert-action">{a.action}</span>}
      </span>
    </div>
  );
}

/** The most serious alert in one short banner; "Show" opens every alert with what fixes it. */
export function AlertBanners({ alerts, accountId }: { alerts: AlertDto[]; accountId: number | null }) {
  const [open, setOpen] = useState(false);
  const shown = alerts
    .filter((a) => a.kind !== 'public_address_unreachable' && (accountId === null || a.account_id === null || a.account_id === accountId))
    .sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 2) - (SEVERITY_ORDER[b.severity] ?? 2));
  if (shown.length === 0) return null;
  return (
    <section class={`alerts${open ? ' alerts-open' : ''}`} aria-label="Needs your attention">
      {(open ? shown : shown.slice(0, 1)).map((a) => (
        <AlertItem key={`${a.kind}-${a.account_id}-${a.subject}`} a={a} full={open} />
      ))}
      <button type="button" class="link-btn alerts-toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide' : shown.length === 1 ? 'What to do' : `Show all ${shown.length} and what to do`}
      </button>
    </section>
  );
}
