export type PiiKind = 'id_number' | 'phone' | 'email' | 'bank_card';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

/** A mainland resident ID number is 17 digits and a check character (ISO 7064 MOD 11-2). */
export function isValidResidentId(id: string): boolean {
  if (!/^\d{17}[\dXx]$/.test(id)) return false;
  const sum = ID_WEIGHTS.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  return ID_CHECK[sum % 11] === id[17].toUpperCase();
}

const PATTERNS: Array<{ kind: PiiKind; re: RegExp; accept?: (m: string) => boolean; mask: string }> = [
  { kind: 'email', re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, mask: '[邮箱/email]' },
  // ID numbers: a check-digit-valid 18-character number; 15-digit legacy numbers are masked too.
  { kind: 'id_number', re: /(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])/g, accept: isValidResidentId, mask: '[身份证号/ID]' },
  // Any 16-19 digit run is treated as a card: privacy over precision (policy text has no such numbers).
  { kind: 'bank_card', re: /(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)/g, mask: '[银行卡/card]' },
  { kind: 'id_number', re: /(?<!\d)\d{15}(?!\d)/g, mask: '[身份证号/ID]' },
  { kind: 'phone', re: /(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)/g, mask: '[手机号/phone]' },
];

export interface MaskResult {
  text: string;
  found: PiiKind[];
}

/**
 * Full-width ASCII (１３８…, ＠, －, as Chinese input methods type them) and the ideographic space, as
 * their ASCII twins: one UTF-16 unit for one, so a match in the folded text is a match at the same place.
 */
function foldWidth(text: string): string {
  return text.replace(/[\uff01-\uff5e\u3000]/g, (c) => (c === '\u3000' ? ' ' : String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
}

/** Replace personal identifiers with labels: used before anything is logged, stored or echoed. */
export function maskPii(text: string): MaskResult {
  const found = new Set<PiiKind>();
  let out = text;
  for (const p of PATTERNS) {
    // Matched on the folded text, replaced in the original: full-width digits are masked too.
    const folded = foldWidth(out);
    let next = '';
    let last = 0;
    for (const m of folded.matchAll(p.re)) {
      if (p.accept && !p.accept(m[0])) continue;
      found.add(p.kind);
      next += out.slice(last, m.index) + p.mask;
      last = m.index + m[0].length;
    }
    if (last) out = next + out.slice(last);
  }
  return { text: out, found: [...found] };
}
