import { classifyUnsafe, looksOutOfScope, mentionsDomain, type SafetyRules, type UnsafeKind } from '../guard/index.js';
import { normalizeText } from '../knowledge/index.js';
import { hasAnyFact, type Extraction } from './slots.js';

export const INTENTS = ['policy_question', 'eligibility_check', 'greeting', 'thanks', 'help', 'out_of_scope', 'unsafe'] as const;
export type Intent = (typeof INTENTS)[number];

export interface IntentDecision {
  intent: Intent;
  unsafeKind?: UnsafeKind;
}

const GREETING = /^(你好|您好|嗨|哈喽|hello|hi|hey|早上好|下午好|晚上好|good (morning|afternoon|evening)|在吗|有人吗)[呀啊哦~！!。.，,\s]*$/i;
const THANKS = /^(谢谢|多谢|感谢|谢啦|thx|thanks|thank you|ok thanks|好的谢谢|明白了谢谢|ok|好的|明白了|懂了|got it|great|cool)[你您呀啊哦~！!。.，,\s]*(much|a lot|so much)?[!！。.\s]*$/i;
const HELP = /^(帮助|help|菜单|menu|你能做什么|你会什么|你可以做什么|你是谁|怎么用|how (do i|to) use( this| you)?|what can you do|who are you)[?？!！。.\s]*$/i;
/** Asking about oneself: "can I", "am I eligible", "我能不能", "我够不够". */
const ELIGIBILITY_CUE = /我(能|可以|够|符合|有资格|能不能|可不可以)|能不能评|能评|可以评|够不够|够条件|符合条件吗|有没有资格|\bcan i\b|\bcould i\b|\bam i (eligible|qualified)|\bdo i (qualify|meet)|\bmy (chances|eligibility)\b|\bcheck (my )?eligibility\b|\beligible\b/i;
/** A how/what question is a policy question even mid-check: "怎么申报", "what materials". */
const POLICY_CUE = /怎么|如何|哪里|在哪|什么是|是什么|哪些材料|材料|流程|步骤|网址|系统|热线|公示|继续教育|\bhow (do|to|can)\b(?! i (qualify|apply for))|\bwhat (is|are)\b|\bwhere\b|\bwhich (documents|materials)\b/i;

/** Decide what the user wants, with the conversation's context (an eligibility check in progress). */
export function classifyIntent(text: string, extraction: Extraction, safety: SafetyRules, context: { checking: boolean }): IntentDecision {
  const unsafeKind = classifyUnsafe(safety, text);
  if (unsafeKind) return { intent: 'unsafe', unsafeKind };
  const s = normalizeText(text).trim();
  if (GREETING.test(s)) return { intent: 'greeting' };
  if (THANKS.test(s)) return { intent: 'thanks' };
  if (HELP.test(s)) return { intent: 'help' };
  const facts = hasAnyFact(extraction.facts);
  const personal = facts && (extraction.facts.education?.degree !== undefined || extraction.facts.yearsInSpecialty !== undefined || extraction.facts.currentTitle !== undefined || extraction.facts.residence !== undefined || extraction.facts.overseas !== undefined);
  if (ELIGIBILITY_CUE.test(s) && (personal || context.checking || /我|\bi\b|\bmy\b/i.test(s))) return { intent: 'eligibility_check' };
  if (context.checking && (facts || extraction.correction) && !POLICY_CUE.test(s)) return { intent: 'eligibility_check' };
  if (personal && /吗|\?|？/.test(s) && !POLICY_CUE.test(s)) return { intent: 'eligibility_check' };
  if (looksOutOfScope(safety, s) && !mentionsDomain(safety, s)) return { intent: 'out_of_scope' };
  return { intent: 'policy_question' };
}
