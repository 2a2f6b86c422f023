// The owner's theme (Settings → Window): `system` follows the desktop
// (the stylesheet's prefers-color-scheme), `light` and `dark` override it
// through the root element's data-theme.

export function applyTheme(theme: string) {
  const root = document.documentElement;
  if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
  else delete root.dataset.theme;
}
