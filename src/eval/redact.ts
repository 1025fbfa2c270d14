import { maskPii } from '../guard/index.js';

/**
 * The report with every string PII-masked (src/guard/pii.ts): the adversarial cases type ID numbers,
 * phone numbers, e-mails and bank cards, and a reply, an error or a retrieved chunk may echo them.
 * Reports are shared and archived; they hold the masked labels ([手机号/phone], ...), never the values.
 */
export function maskReport<T>(value: T): T {
  return maskDeep(value) as T;
}

function maskDeep(value: unknown): unknown {
  if (typeof value === 'string') return maskPii(value).text;
  if (Array.isArray(value)) return value.map(maskDeep);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [maskPii(k).text, maskDeep(v)]));
  return value;
}
