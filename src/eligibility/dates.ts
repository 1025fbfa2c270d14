/** Calendar arithmetic on YYYY-MM-DD strings: whole months, no clocks, no time zones. */

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isIsoDate(s: string): boolean {
  const m = ISO.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** Parsed dates, kept: the same few dates (asOf, the rules' cut-offs, the facts') are read many times per answer. */
const PARSED = new Map<string, readonly [number, number, number]>();
const MAX_PARSED = 4096;

function parts(s: string): readonly [number, number, number] {
  const hit = PARSED.get(s);
  if (hit) return hit;
  const m = ISO.exec(s);
  if (!m) throw new Error(`not a YYYY-MM-DD date: ${s}`);
  const out = [Number(m[1]), Number(m[2]), Number(m[3])] as const;
  if (PARSED.size >= MAX_PARSED) PARSED.clear();
  PARSED.set(s, out);
  return out;
}

function daysInMonth(y: number, m: number): number {
  return [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Whole months from `from` to `to` (negative when `to` is earlier); a month counts once its day is reached. */
export function monthsBetween(from: string, to: string): number {
  if (to < from) return -monthsBetween(to, from);
  const [fy, fm, fd] = parts(from);
  const [ty, tm, td] = parts(to);
  let months = (ty - fy) * 12 + (tm - fm);
  // The anniversary of the 31st in a 30-day month is the month's last day.
  if (td < Math.min(fd, daysInMonth(ty, tm))) months -= 1;
  return months;
}

/** `date` plus `months` calendar months; the day is clamped to the end of a shorter month. */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date);
  const total = y * 12 + (m - 1) + months;
  const ny = Math.floor(total / 12);
  const nm = (total % 12) + 1;
  return `${pad(ny, 4)}-${pad(nm)}-${pad(Math.min(d, daysInMonth(ny, nm)))}`;
}
