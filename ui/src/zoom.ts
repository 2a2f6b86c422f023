// The window's zoom (Ctrl+= / Ctrl+- / Ctrl+0): the webview's own page zoom,
// as in a browser, so text, icons and spacing grow together and the layout
// reflows as in a narrower window. Kept for the next start in localStorage
// (a property of this window, not of the store).

import { getCurrentWebview } from '@tauri-apps/api/webview';

export const ZOOM_LEVELS = [0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2];
const KEY = 'wicket-zoom';

export function currentZoom(): number {
  const saved = Number(localStorage.getItem(KEY));
  return ZOOM_LEVELS.includes(saved) ? saved : 1;
}

/** Applies a zoom level and remembers it; a failure (no webview) leaves it as it was. */
export async function setZoom(level: number): Promise<number> {
  await getCurrentWebview().setZoom(level);
  localStorage.setItem(KEY, String(level));
  return level;
}

/** One step in or out (+1, -1), or back to 100 % (0). */
export function stepZoom(step: -1 | 0 | 1): Promise<number> {
  if (step === 0) return setZoom(1);
  const i = ZOOM_LEVELS.indexOf(currentZoom());
  const next = ZOOM_LEVELS[Math.max(0, Math.min(ZOOM_LEVELS.length - 1, i + step))];
  return setZoom(next);
}

/** At start: the zoom the owner left the window at. */
export function restoreZoom() {
  const level = currentZoom();
  if (level !== 1) setZoom(level).catch(() => undefined);
}
