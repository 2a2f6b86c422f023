// The bulk screen, opened from the rail: one message to many customers.
// Recipients come from a CSV file (read here, passed to the shell as text)
// or a label; the message is a template (each parameter from a column or a
// fixed value) or free text. "Check" asks the core for the report per row
// and a preview of the first rows; Start stores the job, which the engine
// sends a few at a time; the progress bar polls the job, with Pause, Resume
// and Cancel, and the final report when it is over.

import { Pause, Play, Send, X } from 'lucide-preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from '../api';
import type { AccountDto, BulkArgs, BulkJobDto, BulkReportDto, CommandError, TemplateDto } from '../bindings';
import { useEscape } from '../hooks';

const POLL_MS = 1000;
const FIXED = '\u0000fixed';

export interface BulkSendProps {
  accounts: AccountDto[];
  /** The account the window shows, preselected. */
  accountId: number | null;
  onClose: () => void;
}

const OUTCOME_TEXT = { ok: 'ok', skipped: 'skipped', invalid: 'invalid' } as const;
const STATE_TEXT = { running: 'Sending', paused: 'Paused', cancelled: 'Cancelled', done: 'Done' } as const;

/** A job is over once nothing of it is left to send. */
const over = (j: BulkJobDto) => j.finished_at !== null;

function JobView({ job, onJob, onError, onNew }: { job: BulkJobDto; onJob: (j: BulkJobDto) => void; onError: (e: CommandError) => void; onNew: () => void }) {
  const reached = job.sent + job.failed + job.unknown + job.skipped;
  const pct = job.total ? Math.round((reached / job.total) * 100) : 100;
  const steer = (cmd: 'bulk_pause' | 'bulk_resume' | 'bulk_cancel') => call(cmd, { id: job.id }).then(onJob).catch(onError);
  return (
    <section class="bulk-job" aria-label="Bulk job">
      <header class="bulk-job-head">
        <div>
          <h2 dir="auto">{job.message}</h2>
          <p class="muted">
            {job.source} · {job.total} recipients
          </p>
        </div>
        <span class={`bulk-state bulk-state-${job.state}`}>{over(job) && job.state === 'cancelled' ? 'Cancelled' : STATE_TEXT[job.state]}</span>
      </header>
      <div class="bulk-progress" role="progressbar" aria-label="Progress" aria-valuemin={0} aria-valuemax={job.total} aria-valuenow={reached} aria-valuetext={`${reached} of ${job.total}`}>
        <span style={{ width: `${pct}%` }} />
      </div>
      <dl class="bulk-counts">
        {(
          [
            ['Queued', job.queued],
            ['Sent', job.sent],
            ['Delivered', job.delivered],
            ['Read', job.read],
            ['Failed', job.failed],
            ['Skipped', job.skipped],
          ] as const
        ).map(([label, n]) => (
          <div key={label} class={label === 'Failed' && n > 0 ? 'bulk-count-bad' : undefined}>
            <dt>{label}</dt>
            <dd>{n}</dd>
          </div>
        ))}
      </dl>
      {job.unknown > 0 && <p class="bulk-note">{job.unknown} may have been sent: the connection broke during the send. Check those chats before sending again.</p>}
      {(job.failed_reasons.length > 0 || (over(job) && job.skipped_reasons.length > 0)) && (
        <div class="bulk-reasons">
          <h3>{over(job) ? 'Final report' : 'So far'}</h3>
          <ul>
            {job.failed_reasons.map((r) => (
              <li key={`f${r.reason}`}>
                <strong>{r.count} failed:</strong> {r.reason}
              </li>
            ))}
            {job.skipped_reasons.map((r) => (
              <li key={`s${r.reason}`}>
                <strong>{r.count} skipped:</strong> {r.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div class="settings-actions">
        {job.state === 'running' && (
          <button type="button" class="wizard-btn" onClick={() => steer('bulk_pause')}>
            <Pause size={16} aria-hidden="true" /> Pause
          </button>
        )}
        {job.state === 'paused' && (
          <button type="button" class="wizard-btn wizard-primary" onClick={() => steer('bulk_resume')}>
            <Play size={16} aria-hidden="true" /> Resume
          </button>
        )}
        {(job.state === 'running' || job.state === 'paused') && (
          <button type="button" class="wizard-btn acct-danger" onClick={() => steer('bulk_cancel')}>
            Cancel the rest
          </button>
        )}
        {over(job) && (
          <button type="button" class="wizard-btn" onClick={onNew}>
            New bulk send
          </button>
        )}
      </div>
    </section>
  );
}

export function BulkSend({ accounts, accountId, onClose }: BulkSendProps) {
  const dialog = useRef<HTMLDivElement>(null);
  const [account, setAccount] = useState<number>(accountId ?? accounts[0]?.id ?? 0);
  const [source, setSource] = useState<'csv' | 'label'>('csv');
  const [csv, setCsv] = useState<{ name: string; text: string } | null>(null);
  const [labels, setLabels] = useState<string[]>([]);
  const [label, setLabel] = useState('');
  const [templates, setTemplates] = useState<TemplateDto[]>([]);
  const [kind, setKind] = useState<'template' | 'text'>('template');
  const [template, setTemplate] = useState('');
  const [text, setText] = useState('');
  // Per parameter: the CSV column it comes from, or FIXED with a value.
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [fixed, setFixed] = useState<Record<string, string>>({});
  // The last check, and the request it answered: shown only while the form still asks the same.
  const [checked, setChecked] = useState<{ key: string; report: BulkReportDto } | null>(null);
  // The template's parameters and the CSV's columns, from the last check (the mapping's fields).
  const [shape, setShape] = useState<{ parameters: string[]; columns: string[] } | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [job, setJob] = useState<BulkJobDto | null>(null);
  const [recent, setRecent] = useState<BulkJobDto[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<CommandError | null>(null);

  useEffect(() => dialog.current?.focus(), []);
  useEscape(onClose);
  useEffect(() => {
    call('list_labels').then(setLabels).catch(setError);
  }, []);
  // Earlier jobs (one may still be running): shown under the form, each can be opened.
  useEffect(() => {
    if (!job) call('bulk_jobs', {}).then(setRecent).catch(setError);
  }, [job]);
  const meta = accounts.find((a) => a.id === account)?.has_service_window ?? false;
  useEffect(() => {
    setTemplates([]);
    setTemplate('');
    setKind(meta ? 'template' : 'text');
    if (meta) call('list_templates', { account_id: account }).then((list) => setTemplates(list.filter((t) => t.sendable))).catch(setError);
  }, [account, meta]);
  // Another template or account: its parameters are read again by the next check.
  useEffect(() => setShape(null), [account, template, kind]);
  // The job's progress, until it is over.
  useEffect(() => {
    if (!job || over(job)) return;
    const t = setTimeout(() => call('bulk_job', { id: job.id }).then(setJob).catch(setError), POLL_MS);
    return () => clearTimeout(t);
  }, [job]);

  const chosen = templates.find((t) => `${t.name}|${t.language}` === template);
  const args = (map = mapping): BulkArgs => {
    const a: BulkArgs = { account_id: account };
    if (source === 'csv' && csv) Object.assign(a, { csv: csv.text, file_name: csv.name });
    if (source === 'label') a.label = label;
    if (kind === 'template' && chosen) {
      Object.assign(a, { template: chosen.name, language: chosen.language });
      const columns: Record<string, string> = {};
      const values: Record<string, string> = {};
      for (const [p, m] of Object.entries(map)) {
        if (m === FIXED) values[p] = fixed[p] ?? '';
        else columns[p] = m;
      }
      Object.assign(a, { columns, values });
    }
    if (kind === 'text') a.text = text;
    return a;
  };
  const ready = (source === 'csv' ? csv !== null : label !== '') && (kind === 'template' ? chosen !== undefined : text.trim() !== '');

  const key = JSON.stringify(args());
  const report = checked?.key === key ? checked.report : null;

  const check = async () => {
    setBusy(true);
    setError(null);
    setRefused(null);
    try {
      let asked = args();
      let r = await call('bulk_check', asked);
      // Parameters not mapped yet: the column of the same name, else a value the same for everyone.
      const next = { ...mapping };
      for (const p of r.parameters) next[p] ??= r.columns.includes(p) ? p : FIXED;
      if (JSON.stringify(next) !== JSON.stringify(mapping)) {
        setMapping(next);
        asked = args(next);
        r = await call('bulk_check', asked);
      }
      setShape({ parameters: r.parameters, columns: r.columns });
      setChecked({ key: JSON.stringify(asked), report: r });
    } catch (e) {
      setError(e as CommandError);
    } finally {
      setBusy(false);
    }
  };
  const start = () => {
    setBusy(true);
    setError(null);
    call('bulk_start', args())
      .then((s) => {
        setChecked({ key, report: s.report });
        if (s.job) setJob(s.job);
        else setRefused(s.refused);
      })
      .catch(setError)
      .finally(() => setBusy(false));
  };
  const pick = (file: File | undefined) => {
    if (!file) return;
    file
      .text()
      .then((t) => setCsv({ name: file.name, text: t }))
      .catch((e) => setError({ code: 'invalid', message: `cannot read ${file.name}: ${e}`, kind: null }));
  };
  const reset = () => {
    setJob(null);
    setChecked(null);
  };

  const columns = shape?.columns.filter((c) => c.toLowerCase() !== 'phone') ?? [];
  const previews = report?.rows.filter((r) => r.preview !== null) ?? [];
  return (
    <div class="settings-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="settings bulk" role="dialog" aria-modal="true" aria-labelledby="bulk-title" tabIndex={-1} ref={dialog}>
        <header class="settings-head">
          <h1 id="bulk-title">Bulk send</h1>
          <button type="button" class="icon-btn" aria-label="Close bulk send" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        {error && (
          <p class="settings-error" role="alert">
            {error.message}
          </p>
        )}
        {job ? (
          <JobView job={job} onJob={setJob} onError={setError} onNew={reset} />
        ) : (
          <div class="bulk-form">
            <label class="bulk-field">
              <span>Account</span>
              <select aria-label="Account" value={account} onChange={(e) => setAccount(Number(e.currentTarget.value))}>
                {accounts.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
            <fieldset class="bulk-field">
              <legend>Recipients</legend>
              <div class="bulk-choice">
                <label>
                  <input type="radio" name="bulk-source" checked={source === 'csv'} onChange={() => setSource('csv')} /> A CSV file
                </label>
                <label>
                  <input type="radio" name="bulk-source" checked={source === 'label'} onChange={() => setSource('label')} disabled={labels.length === 0} /> A label
                </label>
              </div>
              {source === 'csv' ? (
                <>
                  <input type="file" accept=".csv,text/csv" aria-label="CSV file" onChange={(e) => pick(e.currentTarget.files?.[0])} />
                  <p class="settings-help">{csv ? `${csv.name}: ${csv.text.split('\n').filter((l) => l.trim()).length - 1} rows` : 'A phone column, and one column per template parameter.'}</p>
                </>
              ) : (
                <select aria-label="Label" value={label} onChange={(e) => setLabel(e.currentTarget.value)}>
                  <option value="">Choose a label…</option>
                  {labels.map((l) => (
                    <option key={l} value={l}>
                      {l}
                    </option>
                  ))}
                </select>
              )}
            </fieldset>
            <fieldset class="bulk-field">
              <legend>Message</legend>
              <div class="bulk-choice">
                <label>
                  <input type="radio" name="bulk-kind" checked={kind === 'template'} disabled={!meta} onChange={() => setKind('template')} /> A template
                </label>
                <label>
                  <input type="radio" name="bulk-kind" checked={kind === 'text'} onChange={() => setKind('text')} /> Free text
                </label>
              </div>
              {kind === 'template' ? (
                <select aria-label="Template" value={template} onChange={(e) => setTemplate(e.currentTarget.value)}>
                  <option value="">Choose a template…</option>
                  {templates.map((t) => (
                    <option key={`${t.name}|${t.language}`} value={`${t.name}|${t.language}`}>
                      {t.name.replace(/_/g, ' ')} ({t.language})
                    </option>
                  ))}
                </select>
              ) : (
                <>
                  <textarea aria-label="Text" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
                  {meta && <p class="settings-help">Only customers who wrote in the last 24 hours can get free text; the others are skipped.</p>}
                </>
              )}
            </fieldset>
            {kind === 'template' && shape && shape.parameters.length > 0 && (
              <fieldset class="bulk-field bulk-params">
                <legend>Parameters</legend>
                {shape.parameters.map((p) => (
                  <div class="bulk-param" key={p}>
                    <label for={`bulk-param-${p}`}>{`{{${p}}}`}</label>
                    <select
                      id={`bulk-param-${p}`}
                      aria-label={`Parameter ${p} from`}
                      value={mapping[p] ?? FIXED}
                      onChange={(e) => setMapping({ ...mapping, [p]: e.currentTarget.value })}
                    >
                      {columns.map((c) => (
                        <option key={c} value={c}>
                          Column “{c}”
                        </option>
                      ))}
                      <option value={FIXED}>The same for everyone</option>
                    </select>
                    {(mapping[p] ?? FIXED) === FIXED && (
                      <input aria-label={`Value of ${p}`} value={fixed[p] ?? ''} onInput={(e) => setFixed({ ...fixed, [p]: e.currentTarget.value })} />
                    )}
                  </div>
                ))}
              </fieldset>
            )}
            <div class="settings-actions">
              <button type="button" class="wizard-btn" disabled={!ready || busy} onClick={check}>
                Check
              </button>
              <button
                type="button"
                class="wizard-btn wizard-primary"
                disabled={!report || report.invalid > 0 || report.ok === 0 || busy}
                title={!report ? 'Check the recipients first' : report.invalid > 0 ? 'Fix the invalid rows first' : undefined}
                onClick={start}
              >
                <Send size={16} aria-hidden="true" /> {report && report.invalid === 0 ? `Start: send to ${report.ok}` : 'Start'}
              </button>
            </div>
            {refused && report && (
              <p class="settings-error" role="alert">
                {refused}
              </p>
            )}
            {report && (
              <>
                {previews.length > 0 && (
                  <section class="bulk-preview" aria-label="Preview">
                    <h3>Preview</h3>
                    {previews.slice(0, 3).map((r) => (
                      <figure key={r.row} class="bulk-preview-item">
                        <figcaption>{r.phone}</figcaption>
                        <div class="bubble-like" dir="auto">
                          {r.preview}
                        </div>
                      </figure>
                    ))}
                  </section>
                )}
                <section class="bulk-report" aria-label="Validation report">
                  <h3>
                    {report.ok} to send · {report.skipped} skipped · {report.invalid} invalid
                  </h3>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Row</th>
                        <th scope="col">Phone</th>
                        <th scope="col">Result</th>
                        <th scope="col">Reason</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.rows.map((r) => (
                        <tr key={r.row} class={`bulk-row-${r.outcome}`}>
                          <td>{r.row}</td>
                          <td dir="ltr">{r.phone}</td>
                          <td>
                            <span class={`bulk-outcome bulk-outcome-${r.outcome}`}>{OUTCOME_TEXT[r.outcome]}</span>
                          </td>
                          <td>{r.reason ?? ''}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              </>
            )}
            {recent.length > 0 && (
              <section class="bulk-recent" aria-label="Recent bulk jobs">
                <h3>Recent jobs</h3>
                <ul>
                  {recent.map((j) => (
                    <li key={j.id}>
                      <span class="bulk-recent-what" dir="auto">
                        {j.message}
                      </span>
                      <span class="muted">
                        {j.source} · {j.sent} of {j.total} sent
                      </span>
                      <span class={`bulk-state bulk-state-${j.state}`}>{STATE_TEXT[j.state]}</span>
                      <button type="button" class="wizard-btn wizard-small" aria-label={`Show job ${j.id}: ${j.message}`} onClick={() => setJob(j)}>
                        Show
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            )}
          </div>
        )}
      </div>
    </div>
  );
}
