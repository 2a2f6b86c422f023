// The window's keyboard shortcuts: one list, read by the key handler in
// App.tsx, the shortcut sheet and the command palette's hints, so what the
// sheet says is what the keys do. Ctrl stands for Cmd on a Mac.

export type ShortcutId =
  | 'palette'
  | 'search'
  | 'next'
  | 'previous'
  | 'next_unread'
  | 'previous_unread'
  | 'archive'
  | 'mark_unread'
  | 'pin'
  | 'mute'
  | 'reply'
  | 'composer'
  | 'zoom_in'
  | 'zoom_out'
  | 'zoom_reset'
  | 'sheet'
  | 'lock';

export interface Shortcut {
  id: ShortcutId;
  keys: string;
  what: string;
  /** Whether a key event is this shortcut. */
  matches: (e: KeyboardEvent, typing: boolean) => boolean;
}

const ctrl = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;
const key = (e: KeyboardEvent) => e.key.toLowerCase();

export const SHORTCUTS: Shortcut[] = [
  { id: 'palette', keys: 'Ctrl+K', what: 'Open the command palette', matches: (e) => ctrl(e) && !e.shiftKey && key(e) === 'k' },
  { id: 'search', keys: 'Ctrl+F', what: 'Find in the open conversation (else search everything)', matches: (e) => ctrl(e) && !e.shiftKey && key(e) === 'f' },
  { id: 'next', keys: 'Alt+↓', what: 'Next conversation', matches: (e) => e.altKey && !e.shiftKey && e.key === 'ArrowDown' },
  { id: 'previous', keys: 'Alt+↑', what: 'Previous conversation', matches: (e) => e.altKey && !e.shiftKey && e.key === 'ArrowUp' },
  { id: 'next_unread', keys: 'Alt+Shift+↓', what: 'Next unread conversation', matches: (e) => e.altKey && e.shiftKey && e.key === 'ArrowDown' },
  { id: 'previous_unread', keys: 'Alt+Shift+↑', what: 'Previous unread conversation', matches: (e) => e.altKey && e.shiftKey && e.key === 'ArrowUp' },
  { id: 'archive', keys: 'Ctrl+Shift+A', what: 'Archive the open conversation (or bring it back)', matches: (e) => ctrl(e) && e.shiftKey && key(e) === 'a' },
  { id: 'mark_unread', keys: 'Ctrl+Shift+U', what: 'Mark the open conversation unread', matches: (e) => ctrl(e) && e.shiftKey && key(e) === 'u' },
  { id: 'pin', keys: 'Ctrl+Shift+P', what: 'Pin or unpin the open conversation', matches: (e) => ctrl(e) && e.shiftKey && key(e) === 'p' },
  { id: 'mute', keys: 'Ctrl+Shift+M', what: 'Mute or unmute the open conversation', matches: (e) => ctrl(e) && e.shiftKey && key(e) === 'm' },
  { id: 'reply', keys: 'Ctrl+Shift+R', what: "Reply to the chosen message (else the customer's latest)", matches: (e) => ctrl(e) && e.shiftKey && key(e) === 'r' },
  { id: 'composer', keys: 'Alt+C', what: 'Write a message (focus the composer)', matches: (e) => e.altKey && !ctrl(e) && key(e) === 'c' },
  { id: 'zoom_in', keys: 'Ctrl+=', what: 'Zoom in (bigger text)', matches: (e) => ctrl(e) && !e.altKey && (e.key === '=' || e.key === '+') },
  { id: 'zoom_out', keys: 'Ctrl+-', what: 'Zoom out', matches: (e) => ctrl(e) && !e.altKey && (e.key === '-' || e.key === '_') },
  { id: 'zoom_reset', keys: 'Ctrl+0', what: 'Zoom back to 100 %', matches: (e) => ctrl(e) && !e.altKey && e.key === '0' },
  { id: 'lock', keys: 'Ctrl+L', what: 'Lock Wicket (when an app lock passphrase is set)', matches: (e) => ctrl(e) && !e.shiftKey && !e.altKey && key(e) === 'l' },
  { id: 'sheet', keys: '? or Ctrl+/', what: 'Show these shortcuts', matches: (e, typing) => (ctrl(e) && e.key === '/') || (!typing && !ctrl(e) && e.key === '?') },
];

/** Keys that act where the focus is (handled by their own component), listed on the sheet too. */
export const KEYS_IN_PLACE: { keys: string; what: string }[] = [
  { keys: '↑ ↓', what: 'Move through the conversations, the search results or the messages' },
  { keys: 'Home / End', what: 'The first or last of them' },
  { keys: 'Enter', what: 'Open the conversation or the result' },
  { keys: 'Esc', what: 'Leave the chosen message, close a dialog or menu' },
];

export const keysOf = (id: ShortcutId) => SHORTCUTS.find((s) => s.id === id)?.keys ?? '';

/** Whether the owner is typing somewhere (a field or the composer): plain keys stay theirs. */
export function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

/** Window events the chat listens to (the composer, the reply). */
export const FOCUS_COMPOSER = 'wicket:focus-composer';
export const REPLY_LATEST = 'wicket:reply-latest';
export const SHOW_TEMPLATES = 'wicket:show-templates';
export const FIND_IN_CHAT = 'wicket:find-in-chat';
