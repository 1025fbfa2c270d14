import fc from 'fast-check';

// Personal identifiers the fuzz run plants in chat messages. Every one generated is remembered, so the
// logs and the SQLite files can be searched for it afterwards.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';
const AREAS = ['110101', '110105', '310101', '310104', '310115', '320102', '330106', '440305', '510107', '650102'];

/** The check character of the first 17 digits of a resident ID number (ISO 7064 MOD 11-2). */
export function residentIdCheck(first17: string): string {
  return ID_CHECK[ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0) % 11];
}

/** The Luhn check digit of a card number's other digits. */
export function luhnCheck(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(''));
const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Full-width digits and letters, as a Chinese input method types them. */
export const fullWidth = (s: string) => s.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

export interface Identifier {
  kind: 'id_number' | 'phone' | 'email' | 'bank_card';
  /** As written in the message. */
  written: string;
  /** The bare value (digits only for numbers), searched for too. */
  value: string;
}

export const residentId: fc.Arbitrary<Identifier> = fc
  .tuple(fc.constantFrom(...AREAS), fc.date({ min: new Date('1950-01-01'), max: new Date('2006-12-31'), noInvalidDate: true }), digits(3), fc.boolean())
  .map(([area, birth, seq, lowerX]) => {
    const first17 = `${area}${birth.getUTCFullYear()}${pad(birth.getUTCMonth() + 1, 2)}${pad(birth.getUTCDate(), 2)}${seq}`;
    const check = residentIdCheck(first17);
    const value = first17 + check;
    return { kind: 'id_number' as const, written: lowerX ? value.toLowerCase() : value, value };
  });

export const mobile: fc.Arbitrary<Identifier> = fc
  .tuple(fc.integer({ min: 3, max: 9 }), digits(9), fc.constantFrom('plain', 'spaced', 'dashed', '+86', '+86 spaced', '86'))
  .map(([second, rest, style]) => {
    const value = `1${second}${rest}`;
    const [a, b, c] = [value.slice(0, 3), value.slice(3, 7), value.slice(7)];
    const written = { plain: value, spaced: `${a} ${b} ${c}`, dashed: `${a}-${b}-${c}`, '+86': `+86${value}`, '+86 spaced': `+86 ${a} ${b} ${c}`, '86': `86-${value}` }[style]!;
    return { kind: 'phone' as const, written, value };
  });

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}[a-z0-9]$/);
export const email: fc.Arbitrary<Identifier> = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,18}[A-Za-z0-9]$/), label, fc.constantFrom('com', 'cn', 'org', 'net', 'com.cn', 'edu.cn', 'gov.cn'))
  .map(([local, domain, tld]) => {
    const value = `${local}@${domain}.${tld}`;
    return { kind: 'email' as const, written: value, value };
  });

export const bankCard: fc.Arbitrary<Identifier> = fc
  .tuple(fc.constantFrom('62', '4', '51', '35'), fc.integer({ min: 16, max: 19 }), digits(18), fc.constantFrom('plain', 'spaced', 'dashed'))
  .map(([prefix, length, rest, style]) => {
    const body = (prefix + rest).slice(0, length - 1);
    const value = body + luhnCheck(body);
    const groups = value.match(/.{1,4}/g)!;
    const written = style === 'plain' ? value : groups.join(style === 'spaced' ? ' ' : '-');
    return { kind: 'bank_card' as const, written, value };
  });

/** Any identifier, sometimes typed in full-width characters. */
export const identifier: fc.Arbitrary<Identifier> = fc
  .tuple(fc.oneof(residentId, mobile, email, bankCard), fc.integer({ min: 0, max: 9 }))
  .map(([id, roll]) => (roll === 0 && id.kind !== 'email' ? { ...id, written: fullWidth(id.written) } : id));

const LEAD = ['我的身份证号是', '手机', '电话：', '请联系我 ', '卡号', 'My ID number is ', 'call me on ', 'email: ', 'card ', '邮箱', '证件号码 '];
const TAIL = ['，我能评中级工程师吗？', ' 谢谢', '. Can I apply for senior engineer?', '', '，上海评职称要什么条件', ' — what do I need for an intermediate title?'];

/** A chat message with one to three identifiers in it. */
export const messageWithPii: fc.Arbitrary<{ text: string; ids: Identifier[] }> = fc
  .array(fc.tuple(fc.constantFrom(...LEAD), identifier), { minLength: 1, maxLength: 3 })
  .chain((parts) => fc.constantFrom(...TAIL).map((tail) => ({ text: parts.map(([lead, id]) => `${lead}${id.written}`).join('，') + tail, ids: parts.map(([, id]) => id) })));

/** Every identifier planted during the run. */
export const planted = new Map<string, Identifier>();

export function plant(ids: Identifier[]): void {
  for (const id of ids) planted.set(id.written, id);
}

/** Text in one comparable form: ASCII for full-width, lower case, no single space or dash between digits. */
export function normalise(text: string): string {
  return text
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .toLowerCase()
    .replace(/(?<=[0-9])[ -](?=[0-9])/g, '');
}

/**
 * Collects the long digit runs and e-mail-like tokens of everything scanned, then tells which planted
 * identifiers are among them: one pass over the text, however many identifiers were planted.
 */
export class LeakScanner {
  private readonly runs = new Map<string, string>();
  private readonly emails = new Map<string, string>();

  scan(text: string, where: string): void {
    const n = normalise(text);
    for (const m of n.matchAll(/[0-9x]{11,}/g)) if (!this.runs.has(m[0])) this.runs.set(m[0], where);
    for (const m of n.matchAll(/[a-z0-9._%+-]+@[a-z0-9.-]+/g)) if (!this.emails.has(m[0])) this.emails.set(m[0], where);
  }

  /** Planted identifiers found, each with the first place it was seen. */
  leaks(): Array<{ id: Identifier; where: string }> {
    const out: Array<{ id: Identifier; where: string }> = [];
    for (const id of planted.values()) {
      const value = id.value.toLowerCase();
      const pool = id.kind === 'email' ? this.emails : this.runs;
      for (const [token, where] of pool) {
        if (token.includes(value)) {
          out.push({ id, where });
          break;
        }
      }
    }
    return out;
  }
}
