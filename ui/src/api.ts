// The only door to the shell: typed calls of its commands and typed event
// subscriptions, both from the generated bindings (never hand-written types).

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type { CommandError, Commands, Events } from './bindings';

export type { Commands, Events };

/** Calls a command; rejects with the shell's `{code, message}`. */
export async function call<K extends keyof Commands>(
  cmd: K,
  ...args: Commands[K]['args'] extends null ? [] : [Commands[K]['args']]
): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(cmd, args.length ? { args: args[0] } : {});
  } catch (e) {
    throw asCommandError(e);
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
