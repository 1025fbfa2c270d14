export { Mentor, TurnError, type MentorDeps, type StoreFailure, type MentorReply, type TurnInput, type SessionState, type LlmResponder as MentorLlm } from './mentor.js';
export { loadLexicon, type Lexicon } from './lexicon.js';
export { extractFacts, mergeFacts } from './slots.js';
export { classifyIntent, INTENTS, type Intent } from './intent.js';
export { rewriteFollowUp } from './followup.js';
export { findDurations } from './durations.js';
export { openMentorService, type MentorService, type ServiceOptions } from './service.js';
