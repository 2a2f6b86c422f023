// The contact panel's "one contact across identities": a suggestion when
// this customer looks like another contact ("Looks like the same person as
// X: why", Merge / Not the same), "Merge with…" (pick a contact of the same
// account, then a confirmation naming both and what is kept), and after a
// merge a banner with Undo (until the next merge, also once the panel was
// closed: `contact_merge_undo_offer`). The panel's contact is
// always the one kept. The same as `wicket contact merge|merge-undo|suggestions`.

import { GitMerge, Undo2, UserCheck } from 'lucide-preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api';
import type { CommandError, ContactMergedDto, ConversationDto, MergeCandidateDto, MergeSuggestionDto, MergeUndoOfferDto } from '../bindings';

type Other = { contact_id: number; display_name: string };

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function ContactMerge({ c }: { c: ConversationDto }) {
  const [suggestion, setSuggestion] = useState<MergeSuggestionDto | null>(null);
  const [picking, setPicking] = useState(false);
  const [candidates, setCandidates] = useState<MergeCandidateDto[]>([]);
  const [filter, setFilter] = useState('');
  const [confirm, setConfirm] = useState<Other | null>(null);
  const [merged, setMerged] = useState<ContactMergedDto | null>(null);
  // A merge that kept this contact and can still be undone (the panel was closed since, or the app restarted).
  const [offer, setOffer] = useState<MergeUndoOfferDto | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setSuggestion(null);
    setOffer(null);
    call('contact_suggestions', { contact_id: c.contact_id })
      .then((list) => setSuggestion(list[0] ?? null))
      .catch(() => setSuggestion(null));
    call('contact_merge_undo_offer', { contact_id: c.contact_id })
      .then(setOffer)
      .catch(() => setOffer(null));
  }, [c.contact_id]);

  const openPicker = () => {
    setPicking(true);
    setError(null);
    call('contact_merge_candidates', { contact_id: c.contact_id })
      .then(setCandidates)
      .catch(setError);
  };
  const merge = (other: Other) => {
    setBusy(true);
    call('contact_merge', { keep_id: c.contact_id, other_id: other.contact_id })
      .then((done) => {
        setMerged(done);
        setNote(null);
        setError(null);
        setConfirm(null);
        setPicking(false);
        setSuggestion(null);
      })
      .catch((e: CommandError) => {
        setError(e);
        setConfirm(null);
      })
      .finally(() => setBusy(false));
  };
  const undoable = merged ?? offer;
  const undo = () => {
    if (!undoable) return;
    setBusy(true);
    call('contact_merge_undo', { merge_id: undoable.merge_id })
      .then(() => {
        setNote(`Merge undone: ${undoable.removed_name} is a contact of their own again.`);
        setMerged(null);
        setOffer(null);
        setError(null);
      })
      .catch(setError)
      .finally(() => setBusy(false));
  };
  const dismiss = () => {
    if (!suggestion) return;
    call('contact_suggestion_dismiss', { contact_id: c.contact_id, other_id: suggestion.other_id })
      .then(() => setSuggestion(null))
      .catch(setError);
  };

  const needle = filter.trim().toLowerCase();
  const shown = candidates.filter(
    (k) => !needle || k.display_name.toLowerCase().includes(needle) || (k.phone ?? '').includes(needle) || (k.provider_user_id ?? '').toLowerCase().includes(needle),
  );

  return (
    <div class="contact-merge">
      {undoable && (
        <div class="merge-banner" role="status">
          <UserCheck size={16} aria-hidden="true" />
          <span dir="auto">
            {merged
              ? `Merged ${merged.removed_name} into ${merged.kept_name}: ${count(merged.messages_moved, 'message')} and ${count(merged.notes_moved, 'note')} moved.`
              : `${undoable.removed_name} was merged into ${c.display_name}. You can undo it until the next merge.`}
          </span>
          <button type="button" class="wizard-btn" disabled={busy} onClick={undo}>
            <Undo2 size={14} aria-hidden="true" /> Undo
          </button>
        </div>
      )}
      {note && (
        <p class="settings-help" role="status">
          {note}
        </p>
      )}
      {suggestion && !confirm && (
        <div class="merge-suggestion" role="group" aria-label="Possible duplicate contact">
          <p dir="auto">
            Looks like the same person as <strong>{suggestion.other_name}</strong>: {suggestion.reason}.
          </p>
          <div class="settings-actions">
            <button
              type="button"
              class="wizard-btn"
              onClick={() => setConfirm({ contact_id: suggestion.other_id, display_name: suggestion.other_name })}
            >
              Merge
            </button>
            <button type="button" class="wizard-btn" onClick={dismiss}>
              Not the same
            </button>
          </div>
        </div>
      )}
      {!picking && !confirm && (
        <button type="button" class="wizard-btn" onClick={openPicker}>
          <GitMerge size={14} aria-hidden="true" /> Merge with…
        </button>
      )}
      {picking && !confirm && (
        <div class="merge-picker" role="group" aria-label="Merge with another contact">
          <label class="merge-filter">
            Find the contact to merge into {c.display_name}
            <input value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
          </label>
          <ul class="merge-list">
            {shown.map((k) => (
              <li key={k.contact_id}>
                <button type="button" class="merge-pick" onClick={() => setConfirm(k)}>
                  <span dir="auto">{k.display_name}</span>
                  <span class="merge-pick-id ltr">{k.phone ?? k.provider_user_id ?? ''}</span>
                </button>
              </li>
            ))}
            {shown.length === 0 && <li class="settings-help">No other contact of this account matches.</li>}
          </ul>
          <button type="button" class="wizard-btn" onClick={() => setPicking(false)}>
            Cancel
          </button>
        </div>
      )}
      {confirm && (
        <div class="merge-confirm" role="alertdialog" aria-label={`Merge ${confirm.display_name} into ${c.display_name}?`}>
          <p dir="auto">
            Merge <strong>{confirm.display_name}</strong> into <strong>{c.display_name}</strong>? {c.display_name} is kept: the messages, notes, labels,
            reminders and snoozes of both end up in one chat, a name you typed is kept, an opt-out on either stays, and messages to {confirm.display_name}'s
            number or id reach {c.display_name} from now on. You can undo this until the next merge.
          </p>
          <div class="settings-actions">
            <button type="button" class="wizard-btn merge-go" disabled={busy} onClick={() => merge(confirm)}>
              {busy ? 'Merging…' : `Merge into ${c.display_name}`}
            </button>
            <button type="button" class="wizard-btn" disabled={busy} onClick={() => setConfirm(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {error && (
        <p class="settings-error" role="alert">
          {error.message}
        </p>
      )}
    </div>
  );
}
