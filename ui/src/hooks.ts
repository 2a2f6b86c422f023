// Small hooks the components share.

import { useEffect, useState } from 'preact/hooks';
import type { CommandError } from './bindings';

/** Escape calls `onClose`, wherever the focus is (dialogs, pickers). */
export function useEscape(onClose: () => void) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
}

/**
 * One action at a time with its error: `run(what, f)` marks `what` busy,
 * clears the last error, runs `f` and keeps its CommandError. With
 * `staysBusy`, a success leaves the action busy (the form is about to go).
 */
export function useAction<K extends string>() {
  const [busy, setBusy] = useState<K | null>(null);
  const [error, setError] = useState<CommandError | null>(null);
  const run = async (what: K, f: () => Promise<void>, staysBusy = false) => {
    setBusy(what);
    setError(null);
    try {
      await f();
      if (!staysBusy) setBusy(null);
    } catch (e) {
      setError(e as CommandError);
      setBusy(null);
    }
  };
  return { busy, error, setError, run };
}
