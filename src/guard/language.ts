export type DetectedLanguage = 'zh' | 'en' | 'mixed';

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/g;
const LATIN_WORD = /[A-Za-z]{2,}/g;

/**
 * zh, en or mixed, by how much of the message is Chinese characters versus English words.
 * A handful of Chinese characters in an English sentence (a title name) still reads as English.
 */
export function detectLanguage(text: string): DetectedLanguage {
  const cjk = text.match(CJK)?.length ?? 0;
  const words = text.match(LATIN_WORD)?.length ?? 0;
  if (cjk === 0) return 'en';
  if (words === 0) return 'zh';
  // One English word is worth about two Chinese characters of meaning.
  const zhShare = cjk / (cjk + words * 2);
  if (zhShare >= 0.7) return 'zh';
  if (zhShare <= 0.3) return 'en';
  return 'mixed';
}

/** The language to answer in: an explicit choice wins; a mixed message is answered in Chinese if it leads with Chinese. */
export function replyLanguage(text: string, requested?: 'zh' | 'en', previous?: 'zh' | 'en'): 'zh' | 'en' {
  if (requested) return requested;
  const detected = detectLanguage(text);
  if (detected !== 'mixed') {
    // Digits or a bare "ok" carry no language: keep the conversation's.
    if (!/[A-Za-z\u3400-\u9fff]/.test(text) && previous) return previous;
    return detected;
  }
  const firstCjk = text.search(/[\u3400-\u9fff]/);
  const firstLatin = text.search(/[A-Za-z]/);
  return firstCjk !== -1 && (firstLatin === -1 || firstCjk < firstLatin) ? 'zh' : previous ?? 'zh';
}
