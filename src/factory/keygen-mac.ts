import { KeygenError } from './keygen-errors.js';

/**
 * MAC addresses of a keygen range as integers: 48 bits fit a JavaScript number exactly (2^48 <
 * 2^53), so "device i gets start + i" is plain arithmetic and the overflow check is a compare.
 */

export const MAX_MAC = 0xff_ff_ff_ff_ff_ff;

export type MacStyle = 'colon' | 'dash' | 'hex';

/** `aa:bb:cc:dd:ee:ff` or `aa-bb-cc-dd-ee-ff` (either case) → integer. */
export const parseMac = (text: string): number => {
  const m =
    /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i.exec(
      text.trim(),
    );
  if (!m) throw new KeygenError(`"${text}" is not a MAC address (expected aa:bb:cc:dd:ee:ff)`);
  return Number.parseInt([m[1], m[3], m[4], m[5], m[6], m[7]].join(''), 16);
};

/**
 * Lowercase, as the Linux kernel prints it in /sys/class/net/<if>/address, which is where the
 * Mender identity script reads the `mac` it sends.
 */
export const formatMac = (mac: number, style: MacStyle = 'colon'): string => {
  const hex = mac.toString(16).padStart(12, '0');
  if (style === 'hex') return hex;
  return hex.replace(/(..)(?!$)/g, style === 'colon' ? '$1:' : '$1-');
};

/** The MAC of the `count`-th device from `start` (1-based), refusing to wrap past ff:ff:ff:ff:ff:ff. */
export const checkMacRange = (start: number, count: number): void => {
  const last = start + count - 1;
  if (last > MAX_MAC)
    throw new KeygenError(
      `--mac-start ${formatMac(start)} leaves room for ${MAX_MAC - start + 1} devices, not ${count}: the range would pass ff:ff:ff:ff:ff:ff`,
    );
};
