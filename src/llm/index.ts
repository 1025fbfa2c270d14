export { composeGroundedReply, silentReply, findSentence, citationFor, type ComposeInput, type ComposedReply } from './offline_composer.js';
export { loadPrompts, fill, pick, TemplateError, type Prompts, type Persona, type Templates, type Lang } from './prompts.js';
export type { Citation } from './citations.js';
