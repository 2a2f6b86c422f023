import { avatarColour, initials } from '../format';

/** Initials on a colour derived from the contact's number (no photos yet). */
export function Avatar({ name, colourKey, size = 40 }: { name: string; colourKey: string; size?: number }) {
  return (
    <span
      class="avatar"
      aria-hidden="true"
      style={{ background: avatarColour(colourKey), width: `${size}px`, height: `${size}px`, fontSize: `${Math.round(size * 0.38)}px` }}
    >
      {initials(name)}
    </span>
  );
}
