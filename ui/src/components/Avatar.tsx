import { useState } from 'preact/hooks';
import { avatarColour, initials } from '../format';

/**
 * The contact's cached profile picture when there is one (`src`), else (or
 * when it cannot load) initials on a colour derived from the contact's number.
 */
export function Avatar({ name, colourKey, size = 40, src }: { name: string; colourKey: string; size?: number; src?: string | null }) {
  const [failed, setFailed] = useState(false);
  const box = { width: `${size}px`, height: `${size}px` };
  if (src && !failed) {
    return <img class="avatar avatar-img" src={src} alt="" aria-hidden="true" style={box} onError={() => setFailed(true)} />;
  }
  return (
    // The initials are drawn by CSS (::before): they are decoration, and as text they would become part of a
    // button's visible label, which then no longer matches its accessible name (WCAG 2.5.3).
    <span
      class="avatar"
      aria-hidden="true"
      data-initials={initials(name)}
      style={{ ...box, background: avatarColour(colourKey), fontSize: `${Math.round(size * 0.38)}px` }}
    />
  );
}
