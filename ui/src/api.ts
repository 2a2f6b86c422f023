// The only door to the shell: typed calls of its commands and typed event
// subscriptions, both from the generated bindings (never hand-written types).

import { convertFileSrc, invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { CommandError, Commands, Events } from './bindings';

export type { Commands, Events };

/**
 * Asks the owner for the vault passphrase (the app's dialog); resolves true
 * once the vault is open, false when they chose "Not now".
 */
type PassphraseAsker = () => Promise<boolean>;
let askPassphrase: PassphraseAsker | null = null;
let asking: Promise<boolean> | null = null;

/** Installs the dialog that answers `passphrase_needed` (one at a time). */
export function onPassphraseNeeded(ask: PassphraseAsker | null) {
  askPassphrase = ask;
}

/**
 * Calls a command; rejects with the shell's `{code, message}`. A command
 * refused for want of the vault passphrase (no keychain on this computer)
 * asks for it, then runs once more.
 */
export async function call<K extends keyof Commands>(
  cmd: K,
  ...args: Commands[K]['args'] extends null ? [] : [Commands[K]['args']]
): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(cmd, args.length ? { args: args[0] } : {});
  } catch (e) {
    const err = asCommandError(e);
    // Locked meanwhile (Ctrl+L elsewhere, `wicket lock`): the lock gate looks again.
    if (err.code === 'locked') window.dispatchEvent(new Event('wicket-locked'));
    if (err.code === 'passphrase_needed' && askPassphrase && cmd !== 'unlock_vault') {
      asking ??= askPassphrase().finally(() => {
        asking = null;
      });
      if (await asking) return call(cmd, ...args);
    }
    throw err;
  }
}

/** Subscribes to an event; returns the function that unsubscribes. */
export function on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Promise<UnlistenFn> {
  return listen<Events[K]>(event, (e) => handler(e.payload));
}

export function asCommandError(e: unknown): CommandError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const err = e as CommandError;
    return { code: String(err.code), message: String(err.message), kind: err.kind ?? null };
  }
  return { code: 'internal', message: String(e), kind: null };
}

/**
 * The address of a downloaded file (`wicket-media:` protocol of the shell,
 * which serves only files under the data dir's media/ folder, by id).
 */
export function mediaUrl(mediaId: number): string {
  return convertFileSrc(String(mediaId), 'wicket-media');
}

/** The address of a quick reply's file (the composer fetches it to attach it). */
export function quickReplyFileUrl(quickReplyId: number): string {
  return convertFileSrc(`quick-reply/${quickReplyId}`, 'wicket-media');
}

/** The address of a contact's cached profile picture. */
export function pictureUrl(contactId: number): string {
  return convertFileSrc(`contact/${contactId}`, 'wicket-media');
}

/** The commands that take a file's bytes (`ipc_bytes.rs` in the shell). */
type BytesCommand = 'send_media' | 'save_quick_reply';

/**
 * Calls a command that takes a file: the bytes go as the raw IPC body (no
 * base64, no JSON string of the file), the arguments as percent-encoded JSON
 * in the `x-wicket-args` header. Errors as with `call`.
 */
export async function callWithBytes<K extends BytesCommand>(cmd: K, args: Commands[K]['args'], bytes: Uint8Array): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(cmd, bytes, { headers: { 'x-wicket-args': encodeURIComponent(JSON.stringify(args)) } });
  } catch (e) {
    const err = asCommandError(e);
    if (err.code === 'passphrase_needed' && askPassphrase) {
      asking ??= askPassphrase().finally(() => {
        asking = null;
      });
      if (await asking) return callWithBytes(cmd, args, bytes);
    }
    throw err;
  }
}
