export { composeGroundedReply, silentReply, findSentence, citationFor, type ComposeInput, type ComposedReply } from './offline_composer.js';
export { loadPrompts, fill, pick, TemplateError, type Prompts, type Persona, type Templates, type Lang } from './prompts.js';
export type { Citation } from './citations.js';
export { LlmResponder, createChatModel, type LlmSettings, type LlmAnswer, type LlmOutcome } from './llm_responder.js';
export { checkGrounding, numbersIn, type GroundingProblem } from './grounding.js';
export { CircuitBreaker } from './circuit_breaker.js';
