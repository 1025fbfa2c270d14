/** Durations as citizens type them: 2.5年, 两年半, 三年多, 18个月, "two and a half years", "a year and a half". */
export interface Duration {
  years: number;
  unit: 'year' | 'month';
  start: number;
  end: number;
}

const ZH_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

export function parseChineseNumber(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  if (!/^[零〇一二两三四五六七八九十百]+$/.test(s)) return undefined;
  // "二〇二一": digit by digit, as years are written.
  if (s.length >= 3 && !/[十百]/.test(s)) return Number([...s].map((ch) => ZH_DIGITS[ch]).join(''));
  let total = 0;
  let current = 0;
  for (const ch of s) {
    if (ch === '百') {
      total += (current || 1) * 100;
      current = 0;
    } else if (ch === '十') {
      total += (current || 1) * 10;
      current = 0;
    } else current = ZH_DIGITS[ch];
  }
  return total + current;
}

const EN_NUMBERS: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, eighteen: 18, twenty: 20, 'twenty-four': 24,
};

const ZH_DURATION = /(\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百]+)\s*(?:个)?\s*(年|个?月)(半)?(?:多)?|半年/g;
const EN_DURATION = /\b(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|eighteen|twenty|twenty-four)\+?\s+(and a half\s+)?(years?|yrs?|months?)(\s+and a half)?\b|\bhalf a year\b/g;

/** "快3年", "不到3年", "almost 3 years": less than the number said; "5-6年", "五六年": at least the lower. */
const ZH_UNDER_BEFORE = /(快|快要|(?<!最)近|将近|接近|不到|不足|未满|还没到|差不多快)\s*$/;
const ZH_UNDER_AFTER = /^\s*(不到|不足|未满)/;
const EN_UNDER_BEFORE = /\b(almost|nearly|less than|under|not quite|just under|close to|not yet)\s+$/i;
const RANGE_BEFORE = /(\d+(?:\.\d+)?)\s*(?:-|–|~|～|到|至|、|or|to)\s*$/i;

/**
 * A duration told as "less than N" is taken as just under N (a tenth of a year, or a month, short), so it
 * never meets a threshold of N; a range, as its lower end. The years are never overstated.
 */
function told(text: string, start: number, end: number, n: number, unit: 'year' | 'month', zh: boolean): number {
  const before = text.slice(Math.max(0, start - 12), start);
  const range = RANGE_BEFORE.exec(before);
  if (range && Number(range[1]) < n) return Number(range[1]);
  if (zh ? ZH_UNDER_BEFORE.test(before) || ZH_UNDER_AFTER.test(text.slice(end)) : EN_UNDER_BEFORE.test(before)) return Math.max(0, n - (unit === 'year' ? 0.1 : 1));
  return n;
}

/** "五六": two digits in a row, one after the other, say a range (5 to 6): its lower end. */
function chineseRange(word: string): number | undefined {
  if (word.length !== 2 || !/^[一二两三四五六七八九]{2}$/.test(word)) return undefined;
  const [a, b] = [ZH_DIGITS[word[0]], ZH_DIGITS[word[1]]];
  return b === a + 1 ? a : undefined;
}

/** A count as typed: "2", "两", "十二", "two", "a". */
export const parseCount = (word: string): number | undefined => parseChineseNumber(word) ?? EN_NUMBERS[word.toLowerCase()];

export function findDurations(text: string): Duration[] {
  const out: Duration[] = [];
  for (const m of text.matchAll(ZH_DURATION)) {
    if (m[0] === '半年') {
      out.push({ years: 0.5, unit: 'year', start: m.index!, end: m.index! + m[0].length });
      continue;
    }
    const counted = chineseRange(m[1]) ?? parseChineseNumber(m[1]);
    if (counted === undefined) continue;
    // "2024年" is a year, not a duration; and "2021年3月" a month of it (a duration of months says 个月).
    if (m[2] === '年' && counted >= 1900) continue;
    if (m[2] === '月' && !m[0].includes('个') && /(\d{4}|[零〇一二三四五六七八九]{4})\s*年\s*$/.test(text.slice(Math.max(0, m.index! - 6), m.index!))) continue;
    const unit = m[2] === '年' ? 'year' : 'month';
    const n = told(text, m.index!, m.index! + m[0].length, counted, unit, true);
    const value = n + (m[3] ? 0.5 : 0);
    out.push({ years: unit === 'year' ? value : value / 12, unit, start: m.index!, end: m.index! + m[0].length });
  }
  for (const m of text.matchAll(EN_DURATION)) {
    if (m[0] === 'half a year') {
      out.push({ years: 0.5, unit: 'year', start: m.index!, end: m.index! + m[0].length });
      continue;
    }
    const counted = /^\d/.test(m[1]) ? Number(m[1]) : EN_NUMBERS[m[1]];
    if (counted === undefined) continue;
    const unit = m[3].startsWith('m') ? 'month' : 'year';
    if (unit === 'year' && counted >= 1900) continue;
    const n = told(text, m.index!, m.index! + m[0].length, counted, unit, false);
    const value = n + (m[2] || m[4] ? 0.5 : 0);
    out.push({ years: unit === 'year' ? value : value / 12, unit, start: m.index!, end: m.index! + m[0].length });
  }
  return joinYearsAndMonths(text, out.sort((a, b) => a.start - b.start));
}

/** Between the years and the months of one duration: "4年零8个月", "4年8个月", "4 years and 8 months". */
const YEARS_THEN_MONTHS = /^\s*(零|又|and|,)?\s*$/i;

/** "4年零8个月" is one duration of 4 years 8 months, not 4 years and then 8 months. */
function joinYearsAndMonths(text: string, found: Duration[]): Duration[] {
  const out: Duration[] = [];
  for (const d of found) {
    const last = out[out.length - 1];
    if (last?.unit === 'year' && d.unit === 'month' && YEARS_THEN_MONTHS.test(text.slice(last.end, d.start))) {
      out[out.length - 1] = { ...last, years: last.years + d.years, end: d.end };
    } else out.push(d);
  }
  return out;
}
