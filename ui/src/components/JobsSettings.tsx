// Settings → Background jobs: what the engine does by itself (template and
// contact syncs, retries of failed sends, media downloads, the daily
// maintenance), each with its last run, how long it took, what came of it
// and when it runs next. The same list as `wicket jobs`.

import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, JobDto } from '../bindings';
import { longDateTime } from '../format';
import { SettingsSection } from './Settings';

function every(j: JobDto): string {
  if (!j.enabled) return 'Off';
  if (j.every_seconds == null) return 'When there is work';
  const s = Number(j.every_seconds);
  if (s % 86400 === 0) return s === 86400 ? 'Daily' : `Every ${s / 86400} days`;
  if (s % 3600 === 0) return `Every ${s / 3600} h`;
  return `Every ${Math.round(s / 60)} min`;
}

const RESULT_LABEL: Record<string, string> = { ok: 'Done', failed: 'Failed', never: 'Not run yet' };

function JobRow({ job }: { job: JobDto }) {
  const last = job.last_run_at ? Date.parse(job.last_run_at) : null;
  const next = job.next_run_at ? Date.parse(job.next_run_at) : null;
  return (
    <li class="job">
      <div class="job-head">
        <span class="job-title">
          {job.title}
          {job.account_name && <span class="job-account"> · {job.account_name}</span>}
        </span>
        <span class={`job-result job-${job.result}`}>{RESULT_LABEL[job.result] ?? job.result}</span>
      </div>
      <p class="job-facts">
        {every(job)}
        {last !== null && (
          <>
            {' · last run '}
            <time dateTime={job.last_run_at ?? undefined}>{longDateTime(last)}</time>
            {job.duration_ms != null && ` (${job.duration_ms} ms)`}
          </>
        )}
        {next !== null && (
          <>
            {' · next '}
            <time dateTime={job.next_run_at ?? undefined}>{next <= Date.now() ? 'now' : longDateTime(next)}</time>
          </>
        )}
      </p>
      {job.result === 'failed' && job.error ? <p class="job-error">{job.error}</p> : job.summary && <p class="settings-help">{job.summary}</p>}
    </li>
  );
}

export function JobsSettings() {
  const [jobs, setJobs] = useState<JobDto[] | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  useEffect(() => {
    call('list_jobs').then(setJobs).catch(setError);
  }, []);
  return (
    <SettingsSection id="jobs" title="Background jobs">
      <p class="settings-help">Wicket does these by itself while it runs (also as <code>wicket serve</code>). Nothing here needs you unless a job failed.</p>
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
      {jobs === null && !error ? <p class="muted">Loading…</p> : <ul class="jobs">{jobs?.map((j) => <JobRow key={`${j.name}-${j.account_id}`} job={j} />)}</ul>}
    </SettingsSection>
  );
}
