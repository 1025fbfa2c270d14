import { Converter } from 'opencc-js/t2cn';

export type DetectedLanguage = 'zh' | 'en' | 'mixed';

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/g;
const LATIN_WORD = /[A-Za-z]{2,}/g;

const ZH_FRAME = /[我你您的吗呢吧了么啥]|怎么|什么|哪些|可以|能不能|是否|请问|如何|多少/g;
const EN_FRAME = /\b(i|i'm|my|me|what|how|can|could|is|are|do|does|the|for|which|who|when|where|why|should|about|please)\b/gi;

/** zh, en or mixed: mixed when both scripts carry real weight (two or more words of each). */
export function detectLanguage(text: string): DetectedLanguage {
  const cjk = text.match(CJK)?.length ?? 0;
  const words = text.match(LATIN_WORD)?.length ?? 0;
  if (cjk === 0) return 'en';
  if (words === 0) return 'zh';
  if (cjk >= 2 && words >= 2) return 'mixed';
  return cjk >= words * 2 ? 'zh' : 'en';
}

/**
 * The language to answer in: an explicit choice wins; a mixed message is answered in the language
 * its grammar is written in (the function words), so "What is 高级工程师?" gets English.
 */
export function replyLanguage(text: string, requested?: 'zh' | 'en', previous?: 'zh' | 'en'): 'zh' | 'en' {
  if (requested) return requested;
  // Digits or punctuation alone carry no language: keep the conversation's, or open in Chinese, the
  // language of most who ask about Shanghai titles.
  if (!/[A-Za-z\u3400-\u9fff]/.test(text)) return previous ?? 'zh';
  const detected = detectLanguage(text);
  const zhFrame = text.match(ZH_FRAME)?.length ?? 0;
  const enFrame = text.match(EN_FRAME)?.length ?? 0;
  // "what's 职称?", "how about 高工": English grammar around a Chinese term is an English question; so are
  // English words around one Chinese term with no Chinese grammar ("高工 requirements?").
  if (detected === 'zh' && zhFrame === 0 && (enFrame > 0 || (ONE_CJK_TERM.test(text) && ENGLISH_WORD.test(text)))) return 'en';
  if (detected !== 'mixed') return detected;
  if (zhFrame !== enFrame) return zhFrame > enFrame ? 'zh' : 'en';
  const cjk = text.match(CJK)?.length ?? 0;
  const words = text.match(LATIN_WORD)?.length ?? 0;
  return cjk / 1.7 >= words ? 'zh' : previous ?? 'en';
}

const ONE_CJK_TERM = /^[^\u3400-\u9fff]*[\u3400-\u9fff]+[^\u3400-\u9fff]*$/;
const ENGLISH_WORD = /\b[a-z]{3,}\b/;

/** Japanese kana, Korean Hangul, or the letters and words of a European language other than English. */
const OTHER_SCRIPT = /[\u3040-\u30ff\uac00-\ud7af]/;
const OTHER_LATIN_WORD = /\b(bonjour|merci|pourquoi|est-ce|qu'est|hola|gracias|buenos|guten|danke|bitte|ich|wie|und|obrigado)\b/i;
const HAS_EN_FRAME = new RegExp(EN_FRAME.source, 'i');
// Accented letters count only without English grammar: "the café policy", "résumé tips for …" are English.
const ACCENTED = /[àâçéèêëîïôûùüÿñæœäöß¿¡]/i;

/**
 * A message in neither Chinese nor English ("Bonjour, comment obtenir un titre d'ingénieur?", Japanese): the
 * mentor answers only in those two, and says so rather than guessing at it.
 */
export function inOtherLanguage(text: string): boolean {
  if (OTHER_SCRIPT.test(text)) return true;
  if (/[\u3400-\u9fff]/.test(text)) return false;
  return OTHER_LATIN_WORD.test(text) || (ACCENTED.test(text) && !HAS_EN_FRAME.test(text));
}

let toSimplified: ((text: string) => string) | undefined;
const HAS_CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/**
 * A message in Traditional characters (高級工程師需要什麼條件) in the Simplified ones the corpus, the
 * glossary and the lexicon are written in, so an asker from Hong Kong, Taiwan or abroad is understood
 * (OpenCC's phrase tables: 乾隆 and 著作 stay as they are). Simplified text comes back unchanged.
 */
export function simplifiedChinese(text: string): string {
  if (!HAS_CJK.test(text)) return text;
  const convert = (toSimplified ??= Converter({ from: 't', to: 'cn' }));
  return convert(text);
}
