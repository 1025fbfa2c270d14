export { detectLanguage, inOtherLanguage, replyLanguage, simplifiedChinese, type DetectedLanguage } from './language.js';
export { maskPii, isValidResidentId, type PiiKind, type MaskResult } from './pii.js';
export { loadSafetyRules, classifyUnsafe, looksOutOfScope, mentionsDomain, type SafetyRules, type UnsafeKind } from './safety.js';
