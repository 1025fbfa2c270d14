import crypto from 'node:crypto';
// By module, not '../eligibility/index.js': that door also exports the LLM tool (LangChain).
import { evaluate, seriesRulesDecide } from '../eligibility/engine.js';
import { describeConditions, yearsEn } from '../eligibility/conditions.js';
import { eligibilityRecord, headlineRoute } from '../eligibility/explain.js';
import { FACT_NAMES, FLAG_NAMES, LEVEL_NAMES, ROUTE_NAMES, SERIES_NAMES, STATUS_NAMES } from '../eligibility/labels.js';
import { FactsSchema, FLAGS, type EligibilityResult, type Facts, type Route, type Rule } from '../eligibility/schema.js';
import { maskPii, mentionsDomain, replyLanguage, simplifiedChinese, type SafetyRules } from '../guard/index.js';
import { normalizeText, retrieve, splitSentences, tokenize, type KnowledgeIndex, type RetrievalResult } from '../knowledge/index.js';
// The composer and prompts by their own modules: '../llm/index.js' also carries LangChain (LLM mode only).
import type { Citation } from '../llm/citations.js';
import type { LlmOutcome } from '../llm/llm_responder.js';
import { citationFor, composeGroundedReply, findSentence, silentReply, type ComposedReply } from '../llm/offline_composer.js';
import { fill, type Lang, type Prompts } from '../llm/prompts.js';
import { factsToAskFor, levelToTryFirst, reasonSource, renderEligibilityReply, titleName, whenYearsMet, yearsAskedOfAsker } from './eligibility_reply.js';
import { isStoreFailure, type SessionStore, type SqliteStore } from '../store/index.js';
import { ASKS, ASKS_WHAT_IS, asksOfTitleInPlay, NAMES_ROUTE, isAboutRouteTopic, namedForeignCertificate, namesForeignCredential, namesOnlyTitle, statesAge, ageQuestion, withImpliedAge, namesTitle, plainQuestion, rewriteFollowUp, topicNames, topicNamesRoute, withImpliedOverseasQualification, type Topic } from './followup.js';
import { asksConditions, asksHowLong, checksClaim, classifyIntent, FIRST_PERSON, statesGeneralCircumstance, worksElsewhere, type Intent } from './intent.js';
import type { Lexicon } from './lexicon.js';
import { onlySeriesNamed, seriesNamedInSentence } from './series_named.js';
import { extractFacts, mergeFacts, requirementAskedAbout } from './slots.js';

export interface TurnInput {
  message: string;
  sessionId?: string;
  /** The session whose state this turn goes on from, when it is not `sessionId` (the new state is saved under `sessionId`). */
  continueFrom?: string;
  lang?: Lang;
  channel?: string;
}

/** The body of POST /api/chat and of `mentor ask --json`. */
export interface MentorReply {
  sessionId: string;
  reply: string;
  lang: Lang;
  intent: Intent;
  citations: Citation[];
  suggestions: string[];
  eligibility?: EligibilityResult;
  /** Id of the stored turn, for votes. */
  turnId?: number;
}

/** Drafts a reply with a language model; any outcome but ok falls back to the offline composer. */
export interface LlmResponder {
  respond(question: string, lang: Lang, initial?: RetrievalResult): Promise<LlmOutcome>;
}

export interface SessionState {
  lang: Lang;
  facts: Facts;
  topic?: Topic;
  /** An eligibility check is in progress: short answers are read as facts. */
  checking: boolean;
  /** Facts asked for on the previous turn. */
  asked: string[];
  /** Facts the user could not tell ("不知道"): not asked again; the verdict leaves them open. */
  unsure?: string[];
  /** The special route the asker asked about ("能走绿色通道吗"): a check asks its facts first. */
  routeAsked?: Route;
  /** "series:level" whose missing conditions the last verdict told of, with what the documents say of it. */
  undecided?: string;
  /** Sentences the last policy answers quoted: a follow-up on the same topic is not told them again first. */
  said?: string[];
  turns: number;
}

export interface MentorDeps {
  index: () => KnowledgeIndex;
  rules: () => Rule[];
  /** Transcripts and votes (this instance's SQLite file); also the sessions unless `sessions` is given. */
  store: SqliteStore;
  /** Conversation state between turns: Redis when several instances share conversations (REDIS_URL). */
  sessions?: SessionStore;
  prompts: Prompts;
  lexicon: Lexicon;
  safety: SafetyRules;
  llm?: LlmResponder;
  now?: () => Date;
  maxMessageChars: number;
  /** Called once per turn with what may be logged (PII already masked). */
  onTurn?: (event: { sessionId: string; channel: string; intent: Intent; lang: Lang; latencyMs: number; fallback?: string; citations: number; storeFailures?: StoreFailure[] }) => void;
}

/** A session or transcript write (or read) the database refused; the turn was answered all the same. */
export interface StoreFailure {
  operation: 'load_session' | 'save_session' | 'append_turn';
  /** SQLite's code, e.g. SQLITE_BUSY, SQLITE_FULL, SQLITE_READONLY. */
  code: string;
  message: string;
}

export class TurnError extends Error {
  constructor(
    readonly code: 'empty_message' | 'message_too_long' | 'bad_session_id',
    message: string,
  ) {
    super(message);
  }
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A supposition, not a statement: "what if I had a PhD?", "如果我有居住证呢". */
/** A level's title by name (高级经济师), or the level of its series where the names are many (卫生技术人员系列中级). */
function levelOfSeries(series: string, level: NonNullable<Facts['targetLevel']>, lang: Lang): string {
  const named = titleName(series, level, lang);
  if (named && !named.includes('/')) return named;
  const seriesName = SERIES_NAMES[series]?.[lang] ?? series;
  return lang === 'zh' ? `${seriesName}系列${LEVEL_NAMES[level].zh}` : `the ${LEVEL_NAMES[level].en} of the ${lowerFirst(seriesName)} series`;
}

/** "Health technical staff" inside a sentence: "the health technical staff series". */
const lowerFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/** "能评什么职称？", "what title can I get?": which title, asked before the series is known. */
const ASKS_WHICH_TITLE = /(能|可以)?评(什么|哪个|哪种|啥|哪一种)(职称|系列)|(属于|算|是)(哪个|什么)系列|哪个系列|what (title|titles|series) (can|could|should|do|would) i|which (title|series) (can|could|should|do|would) i/i;

/** Social insurance said to be paid ("有社保", "I pay social insurance"), without saying it is not. */
const SAYS_INSURANCE = /^(?!.*(?:没|无|不|未|断|\bno\b|\bnot\b|n't)).*(?:社保|社会保险|social insurance|shebao)/i;
/**
 * "我没有学历", "I don't have a degree" (not "没有学历要求吗", which asks of the rule): the rules hold no
 * route without one, so no check can run on it (the degree would be asked again and again). What the
 * documents say of that (the green channel sets the usual degree conditions aside) answers, on its own
 * rather than as a follow-up on the title in play.
 */
const SAYS_NO_DEGREE = /(?:没有?(?:任何)?(?:学历|文凭|毕业证)|无学历|学历(?:都)?没有)(?!\s*(?:要求|限制|条件|门槛))|初中(?:学历|毕业|文化)|小学(?:学历|毕业|文化)|\b(?:no|without an?|don'?t have an?|do not have an?|never got an?|never finished an?y?)\s+(?:formal\s+)?(?:degree|diploma|education|qualifications?)\b/i;
/**
 * "怎么申报？", "how do I apply?", "申报流程", "材料交到哪里": how or where an evaluation is applied for. Not "怎么报名" (an exam's
 * registration, which differs by series), nor "how do I apply for an exam".
 */
const ASKS_APPLICATION_PROCEDURE = /(?:怎么|怎样|如何|在哪里?|在哪儿|去哪里?|到哪里?)(?:网上)?申报|申报(?:的)?(?:流程|程序|步骤|系统|入口|网站)|网上申报|\bhow (?:do|can|should|would) (?:i|we|you) (?:apply|submit (?:an? |my )?application)\b(?! for (?:an? |the )?exam)|\bwhere (?:do|can|should) (?:i|we|you) apply\b|\bapplication (?:process|procedure|system|steps)\b|(?:材料|申报表|纸质材料)(?:要)?(?:交|提交|送|递交)(?:到|去|给)?(?:哪|哪里|哪儿|什么地方)|(?:在|去|到)(?:哪|哪里|哪儿)(?:交|提交|送|递交)(?:材料|申报表)|\bwhere (?:do|should|can|to) (?:i |we |you )?(?:submit|send|hand in|file)\b/i;
const asksProcedure = (text: string, context: { routeTopic: boolean; aboutRouteTopic: boolean }) =>
  ASKS_APPLICATION_PROCEDURE.test(text) && !NAMES_ROUTE.test(text) && !context.routeTopic && !context.aboutRouteTopic;
/** "什么时候能评", "when can I apply": asks when, not whether. */
const ASKS_WHEN = /什么时候(?:能|可以|才能|就能)|何时(?:能|可以)|哪一?年(?:能|可以|才能)|\bwhen (?:can|could|will|would) i\b|\bhow soon\b/i;
const WHAT_IF = /^(what if|what about if|if i (had|have|got|were|was)|suppose|supposing|假如|假设|如果|要是|那如果|那要是|那假如)|^那?(?:我)?再[^。，,]{1,12}呢\s*[?？]?$/i;

export class Mentor {
  constructor(private readonly deps: MentorDeps) {}

  async handleTurn(input: TurnInput): Promise<MentorReply> {
    const started = performance.now();
    const text = input.message.trim();
    if (!text) throw new TurnError('empty_message', 'message is empty');
    if ([...text].length > this.deps.maxMessageChars) throw new TurnError('message_too_long', `message is longer than ${this.deps.maxMessageChars} characters`);
    for (const id of [input.sessionId, input.continueFrom]) if (id !== undefined && !SESSION_ID.test(id)) throw new TurnError('bad_session_id', 'sessionId must be 1-64 letters, digits, _ or -');

    const sessionId = input.sessionId ?? crypto.randomUUID();
    // A busy, full or read-only database costs the turn its memory, never its answer.
    const storeFailures: StoreFailure[] = [];
    const tryStore = async <T>(operation: StoreFailure['operation'], write: () => T | Promise<T>): Promise<T | undefined> => {
      try {
        return await write();
      } catch (err) {
        if (!isStoreFailure(err)) throw err;
        storeFailures.push({ operation, code: err.code, message: err.message });
        // A failed read may still know the last state (the Redis store's copy on this instance).
        return err.fallback as T | undefined;
      }
    };
    const sessions = this.deps.sessions ?? this.deps.store;
    const stored = await tryStore('load_session', () => sessions.getSession<SessionState>(input.continueFrom ?? sessionId));
    // Read in Simplified characters (what the corpus and lexicon are written in); the transcript keeps the asker's own.
    const simplified = simplifiedChinese(text);
    const lang = replyLanguage(simplified, input.lang, stored?.lang);
    const state: SessionState = stored ?? { lang, facts: {}, checking: false, asked: [], turns: 0 };
    state.lang = lang;
    const masked = maskPii(text);

    const { draft, fallback } = await this.respond(simplifiedChinese(masked.text), lang, state);
    let reply = draft.reply;
    if (masked.found.length) reply = `${reply}\n\n${this.deps.prompts.templates.pii_warning[lang]}`;

    state.turns += 1;
    await tryStore('save_session', () => sessions.saveSession(sessionId, state, this.now()));
    const latencyMs = performance.now() - started;
    const channel = input.channel ?? 'api';
    const turnId = await tryStore('append_turn', () =>
      this.deps.store.appendTurn(
        { sessionId, channel, userText: masked.text, replyText: maskPii(reply).text, intent: draft.intent, lang, citations: draft.citations, eligibility: draft.eligibility && eligibilityRecord(draft.eligibility), fallback, latencyMs, unanswered: draft.unanswered },
        this.now(),
      ),
    );
    this.deps.onTurn?.({ sessionId, channel, intent: draft.intent, lang, latencyMs, fallback, citations: draft.citations.length, ...(storeFailures.length ? { storeFailures } : {}) });
    return { sessionId, reply, lang, intent: draft.intent, citations: draft.citations, suggestions: draft.suggestions, ...(draft.eligibility ? { eligibility: draft.eligibility } : {}), turnId };
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private async respond(text: string, lang: Lang, state: SessionState): Promise<{ draft: Draft; fallback?: string }> {
    const t = this.deps.prompts.templates;
    const extraction = extractFacts(text, this.deps.lexicon, state.checking ? state.asked : [], this.now());
    // "是 / 没有 / no": the answer to a yes/no question the mentor just asked.
    // A "no" the message spends on a fact of its own ("no hukou, but I have a residence permit") answers nothing else.
    // "oh wait, I actually graduated in 2020" with no work said to have begun then: not years of work.
    if (extraction.yearsFromCorrectedGraduation && state.facts.yearsInSpecialty === undefined) delete extraction.facts.yearsInSpecialty;
    const answered = state.checking && !holdsNo(extraction.facts) ? yesNoAnswer(text, state.asked) : undefined;
    if (answered) {
      // "yes, I passed the intermediate economist exam": the exam named is the answer, not a new title to check.
      if (answered.path.startsWith('exams.')) for (const key of ['series', 'targetLevel', 'currentTitle'] as const) delete extraction.facts[key];
      setPath(extraction.facts as Record<string, unknown>, answered.path, answered.value);
    }
    // "再交两个月呢？": months on top of those already said (at most the 24 the rule looks back over).
    const known = state.facts.residence?.socialInsuranceMonthsLast24;
    if (extraction.moreSocialInsuranceMonths !== undefined && known !== undefined) {
      extraction.facts.residence = { ...extraction.facts.residence, socialInsuranceMonthsLast24: Math.min(24, known + extraction.moreSocialInsuranceMonths) };
    }
    // "不知道" to what was just asked: those facts stay open, and the check goes on without them.
    const unsure = state.checking && !answered && state.asked.length > 0 && isUnsure(text);
    if (unsure) {
      state.unsure = [...new Set([...(state.unsure ?? []), ...state.asked])];
      return { draft: await this.eligibility(state, lang, [], { lead: t.unsure_ack[lang] }) };
    }
    const context = {
      checking: state.checking,
      aboutRouteTopic: isAboutRouteTopic(text, state.topic, this.deps.lexicon),
      titleTopic: namesTitle(state.topic),
      personalTopic: state.topic?.personal === true,
      topicInPlay: state.topic !== undefined,
      // A topic on a route or scheme (the direct train): facts told after it ask what it says of someone like that.
      routeTopic: state.topic !== undefined && (topicNamesRoute(state.topic) || namesForeignCredential(state.topic.query)),
      namesOnly: namesOnlyTitle(text, this.deps.lexicon),
    };
    // "有社保" to the residence question: an answer (how many months is asked next), not a question on social insurance.
    const answersInsurance = state.checking && state.asked.some((p) => p.startsWith('residence')) && SAYS_INSURANCE.test(text) && !ASKS.test(text);
    const noDegree = SAYS_NO_DEGREE.test(text) && !extraction.facts.education?.degree;
    const decision = answered || answersInsurance ? { intent: 'eligibility_check' as const } : classifyIntent(text, extraction, this.deps.safety, context);
    if (noDegree && (decision.intent === 'eligibility_check' || decision.intent === 'policy_question')) return this.policy(text, lang, state, extraction.facts, { standalone: true, query: t.no_degree_query[lang] });
    const name = this.deps.prompts.persona.name[lang];
    switch (decision.intent) {
      case 'greeting':
        return { draft: this.simple('greeting', fillName(t.greeting[lang], name), lang) };
      case 'thanks':
        state.checking = false;
        return { draft: this.simple('thanks', decision.goodbye ? t.goodbye[lang] : t.thanks[lang], lang) };
      case 'help':
        return { draft: this.simple('help', decision.otherLanguage ? t.other_language_only[lang] : decision.identity ? fillName(t.identity[lang], name) : t.help[lang], lang) };
      case 'unsafe':
        return { draft: this.refusal(decision.unsafeKind!, lang) };
      case 'out_of_scope': {
        // Off-field topics the corpus holds (scope: other) still get a brief cited answer.
        const other = await retrieve(this.deps.index(), text, { k: 3, lang, scopes: ['other'] });
        if (other.bestCoverage >= 0.5) {
          const composed = composeGroundedReply({ query: text, lang, retrieval: { ...other, inScopeMatch: false }, index: this.deps.index(), templates: t });
          if (!composed.silent) return { draft: { intent: 'out_of_scope', reply: composed.text, citations: composed.citations, suggestions: this.suggestions('out_of_scope', lang) } };
        }
        return { draft: { ...this.simple('out_of_scope', t.out_of_scope[lang], lang), suggestions: this.suggestions('out_of_scope', lang) } };
      }
      case 'eligibility_check': {
        // "What is the green channel?" then "我可以用吗？": the route stays the one asked about.
        state.routeAsked = extraction.route ?? state.routeAsked;
        const { merged, changed, added } = mergeFacts(state.facts, extraction.facts);
        // "What do I need for Engineer?" then "I have a bachelor's and 3 years": the check is about Engineer.
        merged.series ??= state.topic?.series;
        if (merged.series === state.topic?.series) merged.targetLevel ??= state.topic?.targetLevel;
        // "What if I had a PhD?" mid-check supposes: what the asker said of themselves stays as it was. "两年后呢",
        // "and in 2 years?" keeps their facts and checks them as of then.
        const later = extraction.yearsLater;
        const supposing = !later && state.checking && WHAT_IF.test(text.trim());
        if (!supposing) {
          state.facts = sanitizeFacts(merged);
          state.checking = true;
        }
        if (later || supposing) {
          const supposed: SessionState = { ...state, facts: later ? sanitizeFacts(yearsOn(state.facts, later)) : sanitizeFacts(merged) };
          // "再交两个月呢": the months supposed, and what they add up to.
          const more = extraction.moreSocialInsuranceMonths;
          const supposedMonths = supposed.facts.residence?.socialInsuranceMonthsLast24;
          const lead = later
            ? fill(t.years_later_lead[lang], { years: lang === 'en' ? yearsEn(later) : String(later) })
            : more !== undefined && known !== undefined && supposedMonths !== undefined
              ? fill(t.more_months_lead[lang], { more: String(more), months: String(supposedMonths) })
              : t.what_if_lead[lang];
          const draft = await this.eligibility(supposed, lang, [], { lead, question: text, yearsLater: later });
          state.asked = supposed.asked;
          return { draft };
        }
        return { draft: await this.eligibility(state, lang, changed, { question: text, added }) };
      }
      default:
        // "engineering" after a question on a route only says which series: the route stays the one asked about.
        state.routeAsked = extraction.route ?? (context.aboutRouteTopic || context.namesOnly ? state.routeAsked : undefined);
        // "怎么申报？" after a check of 工程师: the procedure's documents, not the title's conditions again. Not of a
        // route or scheme of its own (recognising an overseas qualification), whose procedure the documents leave open.
        return this.policy(text, lang, state, extraction.facts, asksProcedure(text, context) ? { query: t.procedure_query[lang] } : worksElsewhere(text) ? { query: t.scope_query[lang] } : {});
    }
  }

  /**
   * A policy answer. `standalone`: the message is answered on its own, not as a follow-up on the topic or
   * check in play; `query`: words added to its search (data, from the templates).
   */
  private async policy(text: string, lang: Lang, state: SessionState, named: Facts, options: { standalone?: boolean; query?: string } = {}): Promise<{ draft: Draft; fallback?: string }> {
    const index = this.deps.index();
    // A short "需要考试吗？" right after a check asks about the title checked; after a question on a title (and
    // not in the form of a follow-up, which rewriteFollowUp reads), about that title.
    const lex = this.deps.lexicon;
    const afterCheck = !options.standalone && state.checking && state.facts.series ? checkedTopic(state.facts, lang) : undefined;
    const followedUp = afterCheck || options.standalone ? text : rewriteFollowUp(text, state.topic, lex);
    const titled = afterCheck ?? (followedUp === text && !options.standalone && namesTitle(state.topic) ? state.topic : undefined);
    const inPlay = titled && asksOfTitleInPlay(text, lex) ? titled : undefined;
    const rewritten = inPlay ? `${afterCheck ? inPlay.query : topicNames(inPlay, lex)} ${text}` : followedUp;
    const question = options.query ? `${plainQuestion(rewritten)} ${options.query}` : withImpliedAge(withImpliedOverseasQualification(plainQuestion(rewritten)));
    // A follow-up (not the same question asked again) hears first what the last answer did not say.
    const alreadySaid = state.said?.length && state.topic?.query !== question ? { quotes: new Set(state.said), followUp: text } : undefined;
    const found = await retrieve(index, question, { k: 6, lang });
    // A short question on the title in play ("考几门？" after 中级经济师) asks of its series: a document on
    // another series alone (the accountants' exam subjects) answers another question.
    // So does a question that names one series itself ("经济师考试科目").
    const onlySeries = inPlay?.series ?? onlySeriesNamed(text, lex);
    const ofSeries = onlySeries ? found.chunks.filter((r) => r.chunk.series.length === 0 || r.chunk.series.includes(onlySeries)) : found.chunks;
    const retrieval = ofSeries === found.chunks ? found : { ...found, chunks: ofSeries, inScopeMatch: found.inScopeMatch && ofSeries.length > 0 };
    // What this message names, else what the topic it follows up on named ("and for Senior Engineer?" keeps engineering).
    const previous = inPlay ?? (rewritten === text ? undefined : state.topic);
    const series = named.series ?? previous?.series;
    const targetLevel = named.targetLevel ?? (named.series && named.series !== previous?.series ? undefined : previous?.targetLevel);
    const personal = FIRST_PERSON.test(text) || (previous?.personal ?? false);
    state.topic = { query: question, ...(series ? { series } : {}), ...(targetLevel ? { targetLevel } : {}), ...(personal ? { personal } : {}) };
    // "我需要居住证吗？" in the middle of a check: answered here, and a plain "有的" or "没有" next is the
    // asker's answer to it, so the check goes on with it.
    const asked = state.checking ? requirementAskedAbout(text) : undefined;
    state.checking = asked !== undefined;
    if (asked) state.asked = [asked];

    let fallback: string | undefined;
    if (this.deps.llm && retrieval.inScopeMatch) {
      const outcome = await this.deps.llm.respond(question, lang, retrieval).catch((err: Error) => ({ ok: false as const, reason: 'error' as const, detail: err.message }));
      if (outcome.ok) {
        const a = outcome.answer;
        return { draft: { intent: 'policy_question', reply: a.text, citations: a.citations, suggestions: this.suggestions('default', lang), ...(a.eligibility ? { eligibility: a.eligibility } : {}) } };
      }
      fallback = outcome.reason;
    }

    const aboutTitles = mentionsDomain(this.deps.safety, text);
    // A sentence naming only other series than the one asked (a general document's example) ranks lower.
    const onOtherSeries = onlySeries
      ? (sentence: string) => {
          const named = seriesNamedInSentence(sentence, lex);
          return named.length > 0 && !named.includes(onlySeries);
        }
      : undefined;
    let composed: ComposedReply = composeGroundedReply({ query: question, lang, retrieval, index, templates: this.deps.prompts.templates, checksClaim: checksClaim(text), alreadySaid, onOtherSeries });
    // The last two answers' sentences (a topic is rarely followed up more than twice).
    state.said = [...new Set([...(composed.said ?? []), ...(state.said ?? [])])].slice(0, 2 * 4);
    // A question about titles that only an off-topic document matches: the documents are silent on it
    // ("what does applying cost?" is not answered by a news item on medical-insurance funds).
    if (composed.otherScope && aboutTitles) composed = silentReply({ lang, index, templates: this.deps.prompts.templates });
    if (composed.silent && !aboutTitles) {
      return { draft: { ...this.simple('out_of_scope', this.deps.prompts.templates.out_of_scope[lang], lang), suggestions: this.suggestions('out_of_scope', lang) }, fallback };
    }
    const intent: Intent = composed.otherScope ? 'out_of_scope' : 'policy_question';
    // "主管护师需要什么条件": a title whose conditions the rule base does not hold (the health series, a
    // school teacher's). Said first; then only what the documents say of that series, since another
    // series' conditions would read as this title's.
    const conditionsNotHeld = !composed.otherScope && series && targetLevel && asksConditions(text) && !this.rulesDecide(series, targetLevel);
    if (conditionsNotHeld) {
      const t = this.deps.prompts.templates;
      const title = lex.titles.find(text)[0]?.surface ?? levelOfSeries(series, targetLevel, lang);
      const about = composeGroundedReply({ query: question, lang, retrieval: { ...retrieval, chunks: retrieval.chunks.filter((r) => r.chunk.series.includes(series)) }, index, templates: t, bare: true });
      const parts = [fill(t.conditions_not_held[lang], { title }), ...(about.silent ? [] : [t.corpus_on_level[lang], about.text])];
      composed = { ...about, text: parts.join('\n\n'), citations: about.silent ? [] : about.citations, silent: false };
    }
    const unnamed = composed.silent || composed.otherScope ? undefined : this.unnamedCertificateNote(text, lang);
    if (unnamed) {
      // After the opening line, before what the documents say.
      const [opening, ...rest] = composed.text.split('\n\n');
      composed = { ...composed, text: [opening, unnamed, ...rest].join('\n\n') };
    }
    return {
      draft: { intent, reply: composed.text, citations: composed.citations, suggestions: this.suggestions(composed.silent || composed.otherScope ? 'out_of_scope' : 'default', lang), unanswered: composed.silent || Boolean(composed.statedGap) || Boolean(conditionsNotHeld) },
      fallback,
    };
  }

  /** Whether the rule base holds conditions of this series for this level (not only the routes open to every series). */
  private rulesDecide(series: string, targetLevel: NonNullable<Facts['targetLevel']>): boolean {
    const rules = this.deps.rules();
    return seriesRulesDecide(evaluate(rules, { series, targetLevel } as Facts, this.now().toISOString().slice(0, 10)).routes, rules);
  }

  /**
   * `question`: the message of this turn, for what the corpus says when the rule base has no conditions for
   * the level; `yearsLater`: the check as of that many years from now.
   */
  private async eligibility(state: SessionState, lang: Lang, changed: string[], options: { lead?: string; question?: string; yearsLater?: number; added?: string[] } = {}): Promise<Draft> {
    const { lead, question, yearsLater = 0, added = [] } = options;
    // What the mentor had asked before this turn: a fact told in answer ("有居住证") asks nothing of the rules.
    const answeringSeries = state.asked.includes('series') && question !== undefined && !ASKS.test(question);
    const answering = state.asked.length > 0;
    // "好的，记下了：学历。" for facts told for the first time in a message that asks nothing. Not for a plain
    // answer to all that was just asked: "工程" to "你想评哪个系列？" would be "记下了：系列".
    const askedBefore = state.asked;
    const covers = (a: string, p: string) => a === p || a.startsWith(`${p}.`) || p.startsWith(`${a}.`);
    const notedLine = (): string | undefined => {
      if (!question || ASKS.test(question) || changed.length) return undefined;
      const order = Object.keys(this.deps.prompts.templates.fact_names);
      const told = added.filter((p) => order.includes(p) && p !== 'jurisdiction').sort((a, b) => order.indexOf(a) - order.indexOf(b));
      const justAnswers = askedBefore.length > 0 && told.every((p) => askedBefore.some((a) => covers(a, p))) && askedBefore.every((a) => told.some((p) => covers(a, p)));
      if (justAnswers) return undefined;
      const names = told.map((p) => this.deps.prompts.templates.fact_names[p]?.[lang] ?? FACT_NAMES[p]?.[lang] ?? p);
      return names.length ? fill(this.deps.prompts.templates.noted_ack[lang], { facts: names.join(lang === 'zh' ? '、' : ', ') }) : undefined;
    };
    const t = this.deps.prompts.templates;
    const now = this.now();
    const asOf = new Date(Date.UTC(now.getUTCFullYear() + yearsLater, now.getUTCMonth(), now.getUTCDate())).toISOString().slice(0, 10);
    const rules = this.deps.rules();
    const result = evaluate(rules, state.facts, asOf);
    const parts: string[] = lead ? [lead] : [];
    const { series, targetLevel } = state.facts;
    if (changed.length === 1 && changed[0] === 'targetLevel' && series && targetLevel) {
      parts.push(fill(t.target_ack[lang], { title: levelOfSeries(series, targetLevel, lang) }));
    } else if (changed.length) {
      const names = changed.map((p) => t.fact_names[p]?.[lang] ?? FACT_NAMES[p]?.[lang] ?? p).join(lang === 'zh' ? '、' : ', ');
      parts.push(fill(t.correction_ack[lang], { changes: names }));
    }
    const citations: Citation[] = [];
    const byRule = new Map<string, number>();
    const index = this.deps.index();
    // `condition`: what the reply states ("本科（学士）及以上学历，从事本专业工作满4年"). Its degree and numbers pick,
    // of a rule whose clause lists every degree, the sentence on the asker's branch.
    const citeRule = (ruleId: string, condition = ''): number | undefined => {
      if (byRule.has(ruleId)) return byRule.get(ruleId);
      const rule = rules.find((r) => r.id === ruleId);
      if (!rule) return undefined;
      const branch = branchOf(`${rule.source.clause} ${rule.title[lang]}`, condition, state.facts.education?.degree, this.deps.lexicon);
      // The residence condition met by hukou is cited from the sentence on hukou, not the one for those without it.
      const met = rule.requires?.residence ? residenceMet(state.facts) : undefined;
      if (met) Object.assign(branch, { about: rule.title[lang], stated: RESIDENCE_WORDS[met][lang] });
      // A rule on several levels ("初级、中级以考代评，副高级考评结合") is cited from the sentence on the level checked.
      const level = state.facts.targetLevel;
      if (level && Array.isArray(rule.targetLevel) && rule.targetLevel.length > 1) {
        const name = LEVEL_NAMES[level][lang].replace(/ level$/, '');
        const parts = branch.about.split(/[，,；;]\s*|\s+(?=\S*[\u4e00-\u9fff])/);
        const own = parts.filter((p) => p.includes(name));
        if (own.length && own.length < parts.length) Object.assign(branch, { about: own.join(' '), stated: `${branch.stated} ${name}`.trim() });
      }
      const found = bestSentence(index, docInLanguage(index, rule.source.docId, lang), branch.about, branch.stated);
      if (!found) return undefined;
      const existing = citations.find((c) => c.chunkId === found.chunk.id);
      const n = existing?.n ?? citations.length + 1;
      if (!existing) citations.push(citationFor(found.chunk, found.quote, n));
      byRule.set(ruleId, n);
      return n;
    };
    // The route asked about, once the asker has told all it asks: its verdict is the answer, whatever else is open.
    const routeAsked = state.routeAsked && result.routes.find((r) => r.route === state.routeAsked);
    const routeSettled = routeAsked && routeAsked.missing.every((path) => state.unsure?.includes(path)) ? routeAsked : undefined;
    const ask = result.overall.status === 'needs_info' && !routeSettled ? factsToAskFor(result, new Set(Object.keys(state.facts)), t.ask_after, new Set(state.unsure), state.routeAsked) : [];
    // "有社保" with no months: the months are what is left to ask of the residence condition.
    const insuranceSaid = question !== undefined && SAYS_INSURANCE.test(question) && state.facts.residence?.socialInsuranceMonthsLast24 === undefined;
    if (insuranceSaid) ask.splice(0, ask.length, ...ask.map((p) => (p === 'residence' ? 'residence.socialInsuranceMonthsLast24' : p)));
    // "我是做统计的": no level named and no title held, so every level was checked, and the one the verdict would be on
    // leaves its thresholds to the notice: which level is wanted is the question, not a verdict on one picked.
    const headline = result.routes.find((r) => r.route === result.overall.bestRoute && r.targetLevel === result.overall.bestLevel);
    const levelsChecked = new Set(result.routes.map((r) => r.targetLevel));
    const noTitleHeld = !state.facts.currentTitle?.level || state.facts.currentTitle.level === 'none';
    const pickedForAsker = !state.facts.targetLevel && noTitleHeld && levelsChecked.size > 1 && !state.routeAsked && headline?.basis === 'current_notice';
    if (!ask.length && result.overall.status === 'needs_info' && pickedForAsker && !state.unsure?.includes('targetLevel')) ask.push('targetLevel');
    if (ask.length) {
      state.asked = ask;
      // "我本科，要工作几年才能评工程师", "评高工需要什么条件？我硕士": what the rule asks of someone like the asker,
      // before asking theirs.
      const asked = question && asksHowLong(question) ? 'years_required' : question && asksConditions(question) ? 'conditions_required' : undefined;
      const askersBranch = asked ? yearsAskedOfAsker(result, rules) : undefined;
      // "什么时候能评高工？" with the years told but something else still open: when the years are met, first.
      const when = question && !asked && ASKS_WHEN.test(question) ? whenYearsMet(result, rules) : undefined;
      if (when) {
        const n = citeRule(when.rule.id);
        const line = when.met ? fill(t.years_when_met[lang], { rule: when.rule.title[lang] }) : fill(t.years_when[lang], { rule: when.rule.title[lang], date: when.earliest });
        parts.push(`${line}${when.rule.confidence === 'C' ? t.third_party_caveat[lang] : ''}${n ? ` [${n}]` : ''}`);
      }
      if (asked && askersBranch) {
        const { rule, conditions } = askersBranch;
        const n = citeRule(rule.id);
        const caveat = rule.confidence === 'C' ? t.third_party_caveat[lang] : '';
        parts.push(`${fill(t[asked][lang], { rule: rule.title[lang], conditions: describeConditions(conditions, lang, state.facts.series) })}${caveat}${n ? ` [${n}]` : ''}`);
      }
      // "我在民营企业工作，能评职称吗", "我有美国CPA证书，能评职称吗" before any series: what the documents say of that
      // for everyone, then the check offered.
      // Whatever else is open, an age ("I'm 48, is it too late?") is answered by the rule for everyone first.
      const aboutAge = question !== undefined && statesAge(question);
      // "我是工程师，想评高工，需要什么条件" before the degree is known: the conditions as the documents give them, then the questions.
      // (With no series yet the conditions depend on it: the series is asked first.)
      const conditionsForAll = asked === 'conditions_required' && !askersBranch && state.facts.series !== undefined;
      // "绿色通道是什么？我博士，工作2年，能走吗": what the route is, before the questions a check of it needs.
      const asksWhatRouteIs = question !== undefined && ASKS_WHAT_IS.test(question) && this.deps.lexicon.routes.find(normalizeText(question)).length > 0;
      const general = question && !answeringSeries && (aboutAge || conditionsForAll || (ask.includes('series') && (statesGeneralCircumstance(question, residenceMet(state.facts) !== undefined) || namesForeignCredential(question) || asksWhatRouteIs))) ? await this.generalAnswer(aboutAge ? ageQuestion(lang) : question, lang, citations.length + 1) : undefined;
      if (general) {
        // A gap the corpus states ("我是公务员，能评职称吗") opens with its own words: no rule for everyone precedes it.
        parts.push(...(general.statedGap ? [] : [t.general_rule_first[lang]]), general.text);
        citations.push(...general.citations);
      } else if (question && ask.includes('series') && ASKS_WHICH_TITLE.test(question)) {
        // "能评什么职称？" with the series still unknown: which title depends on the series, each with its own levels.
        const said = findSentence(index, `${t.cited_docs.series}.${lang}`, /自己的等级名称|its own level names/);
        if (said) {
          const n = citations.length + 1;
          citations.push(citationFor(said.chunk, said.quote, n));
          parts.push(`${said.quote} [${n}]`);
        }
      } else if (question) {
        // "我有英国特许工程师，能评职称吗" with the series known: whether the lists name it is still not told.
        const unnamed = this.unnamedCertificateNote(question, lang);
        if (unnamed) parts.push(unnamed);
      }
      // Facts told in answer with nothing asked ("本科，工作4年了", "有居住证"), and still more to ask: taken down.
      const noted = answering ? notedLine() : undefined;
      if (noted) parts.push(noted);
      parts.push(general ? t.check_offer[lang] : t.ask_back_intro[lang]);
      // "我是老师，能评职称吗": the series asked as the choice that work leaves (school or university), not with engineering examples.
      const sharedWork = question ? this.deps.lexicon.sharedWork.find((w) => w.said.find(question).length > 0 && t.fact_questions[w.question]) : undefined;
      parts.push(ask.map((path) => `• ${path === 'series' && sharedWork ? t.fact_questions[sharedWork.question][lang] : this.question(path, lang)}`).join('\n'));
      return { intent: 'eligibility_check', reply: parts.join('\n\n'), citations, suggestions: this.suggestions('ask_back', lang), eligibility: result };
    }
    // No conditions for this level in the rule base (高级经济师), or for any level of the series when none was named
    // (a nurse asking "能评职称吗"): told once, with what the documents say of it. A fact told after that decides
    // nothing more, and the same block again would only repeat itself.
    const level = targetLevel;
    // With no level named, the series' own regular and exam rules are what a check stands on (the health series has
    // only a special route to full senior).
    const regularRules = (s: string) => rules.some((r) => r.kind === 'eligibility' && r.series !== 'any' && r.series.includes(s) && (r.route === 'regular' || r.route === 'exam'));
    const noRulesFor = series !== undefined && (level ? !seriesRulesDecide(result.routes, rules) : !regularRules(series));
    const undecided = series && noRulesFor && !lead ? `${series}:${level ?? 'any'}` : undefined;
    const undecidedTitle = () => (level ? levelOfSeries(series!, level, lang) : lang === 'zh' ? `${SERIES_NAMES[series!]?.zh ?? series}系列` : `the ${lowerFirst(SERIES_NAMES[series!]?.en ?? series!)} series`);
    // A level whose rules leave every threshold to the current notice (统计师: an exam, conditions not given) is
    // checked once; a fact told after that changes nothing, and is answered like the level without rules.
    // (Nothing is left to ask here: the facts other routes would want are not asked of someone who named none.)
    // So is a special route asked about whose thresholds the notice sets ("我是高级技师，能评工程师吗": the overpass).
    const shown = routeSettled ?? headline;
    const onlyTheNotice = shown?.basis === 'current_notice' && shown.status === 'needs_info' && shown.missing.length === 0;
    const settled = undecided ?? (series && level && onlyTheNotice && !lead ? `${series}:${level}:${routeSettled ? routeSettled.route : 'notice'}` : undefined);
    if (settled && state.undecided === settled) {
      state.asked = [];
      const noted = notedLine();
      const unchanged = routeSettled && !undecided ? fill(t.route_check_stands[lang], { route: ROUTE_NAMES[routeSettled.route][lang] }) : fill(t.conditions_not_held[lang], { title: undecidedTitle() });
      return { intent: 'eligibility_check', reply: [...parts, ...(noted ? [noted] : []), unchanged].join('\n\n'), citations: [], suggestions: this.suggestions('eligibility', lang), eligibility: result };
    }
    state.undecided = settled;
    // A verdict that still asks a yes/no ("请补充：是否已通过经济、统计或审计专业中级考试") takes "没有" as its answer.
    state.asked = result.overall.status === 'needs_info' ? result.overall.missing.filter((p) => (FLAGS as readonly string[]).includes(p)) : [];
    if (undecided) {
      // Nothing to check the facts against: said first, plainly, instead of a check with no verdict in it.
      const noted = answering ? notedLine() : undefined;
      parts.push(...(noted ? [noted] : []), fill(t.conditions_not_held[lang], { title: undecidedTitle() }));
    } else {
      parts.push(t.eligibility_intro[lang]);
      parts.push(renderEligibilityReply(result, lang, rules, citeRule, routeSettled));
    }
    // Out of reach for want of the title below: say whether that one is open now.
    const below = levelToTryFirst(result, state.facts);
    const lower = below && state.facts.series ? headlineRoute(evaluate(rules, { ...state.facts, targetLevel: below }, asOf)) : undefined;
    const metUnconfirmed = lower?.status === 'needs_info' && lower.missing.length === 0 && lower.reasons[lang].length > 0;
    if (below && lower && (lower.status === 'eligible' || lower.status === 'not_yet' || metUnconfirmed)) {
      // Cited from the sentence on the asker's branch of that level's rule, as a verdict's own reasons are.
      const reason = lower.reasons[lang][0];
      const source = reason ? reasonSource(reason, lower, rules, lang) : { ruleId: lower.ruleIds[0], condition: '' };
      const n = citeRule(source.ruleId, source.condition);
      const title = titleName(lower.series, below, lang) ?? LEVEL_NAMES[below][lang];
      const status = metUnconfirmed ? t.met_unconfirmed[lang] : STATUS_NAMES[lower.status][lang];
      parts.push(`${fill(t.level_below[lang], { title, status })}${n ? ` [${n}]` : ''}`);
    }
    // No conditions for this level in the rule base (the health series, say): what the corpus says of it.
    if (series && noRulesFor) {
      const levelName = level ? (titleName(series, level, lang) ?? LEVEL_NAMES[level][lang]) : '';
      const query = `${question ?? ''} ${SERIES_NAMES[series]?.[lang] ?? ''} ${levelName}`.trim();
      const found = await retrieve(index, query, { k: 6, lang });
      // Only what is about this series: the asker's degree and years would otherwise find another series' conditions.
      const retrieval = { ...found, chunks: found.chunks.filter((r) => r.chunk.series.includes(series)) };
      const about = composeGroundedReply({ query, lang, retrieval, index, templates: t, firstCitation: citations.length + 1, bare: true });
      if (!about.silent && !about.otherScope) {
        parts.push((level ? t.corpus_on_level : t.corpus_on_series)[lang], about.text);
        citations.push(...about.citations);
      }
    }
    // "A first check only" closes a check; with no conditions to check against there was none.
    if (undecided) parts.push(`${lang === 'zh' ? '下一步：' : 'Next step: '}${result.overall.nextStep[lang]}`);
    else if (!noRulesFor) parts.push(t.eligibility_outro[lang]);
    return { intent: 'eligibility_check', reply: parts.join('\n\n'), citations, suggestions: this.suggestions('eligibility', lang), eligibility: result };
  }

  /** What the documents say of a question for everyone alike, when they answer it in scope. */
  private async generalAnswer(question: string, lang: Lang, firstCitation: number): Promise<ComposedReply | undefined> {
    const index = this.deps.index();
    // "I work in Beijing": who may apply in Shanghai is what the documents say of that.
    const scope = worksElsewhere(question) ? ` ${this.deps.prompts.templates.scope_query[lang]}` : '';
    const retrieval = await retrieve(index, withImpliedAge(withImpliedOverseasQualification(plainQuestion(question))) + scope, { k: 6, lang });
    if (!retrieval.inScopeMatch) return undefined;
    const composed = composeGroundedReply({ query: question, lang, retrieval, index, templates: this.deps.prompts.templates, firstCitation, bare: true });
    if (composed.silent || composed.otherScope) return undefined;
    const unnamed = this.unnamedCertificateNote(question, lang);
    return unnamed ? { ...composed, text: `${unnamed}\n${composed.text}` } : composed;
  }

  /**
   * "我有ACCA证书，能评职称吗": a certificate the documents never name. What they say of the recognised lists
   * does not tell whether it is on one; that is said, not guessed.
   */
  private unnamedCertificateNote(text: string, lang: Lang): string | undefined {
    const name = namedForeignCertificate(text);
    if (!name) return undefined;
    const words = tokenize(name);
    const named = this.deps.index().bm25.search(words.map((term) => ({ term, weight: 1 })), 3).some((hit) => hit.matched.length === new Set(words).size);
    return named ? undefined : fill(this.deps.prompts.templates.certificate_not_named[lang], { name });
  }

  private question(path: string, lang: Lang): string {
    const t = this.deps.prompts.templates;
    const direct = t.fact_questions[path] ?? t.fact_questions[path.split('.')[0]];
    if (direct) return direct[lang];
    // A yes/no fact reads as the condition it stands for; anything else by its name.
    const flag = (FLAG_NAMES as Record<string, { zh: string; en: string }>)[path];
    if (flag) return fill(t.fact_questions.flag[lang], { fact: flag[lang] });
    const name = t.fact_names[path]?.[lang] ?? FACT_NAMES[path]?.[lang] ?? t.fact_names.default?.[lang] ?? '';
    return fill(t.fact_questions.default[lang], { fact: name });
  }

  private refusal(kind: string, lang: Lang): Draft {
    const t = this.deps.prompts.templates;
    if (kind === 'forgery') {
      const index = this.deps.index();
      const basis = findSentence(index, `${t.cited_docs.fraud}.${lang}`, /撤销|revok|诚信|integrity|3年|3 years|一票否决|one-vote veto/i);
      if (basis) {
        const citation = citationFor(basis.chunk, basis.quote, 1);
        return { intent: 'unsafe', reply: `${t.refusal_forgery[lang]}\n\n${t.refusal_forgery_basis[lang]}${lang === 'en' ? ' ' : ''}${basis.quote.replace(/\*\*/g, '')} [1]`, citations: [citation], suggestions: this.suggestions('default', lang) };
      }
      return this.simple('unsafe', t.refusal_forgery[lang], lang);
    }
    return this.simple('unsafe', kind === 'abuse' ? t.refusal_abuse[lang] : t.refusal_injection[lang], lang);
  }

  private simple(intent: Intent, reply: string, lang: Lang): Draft {
    return { intent, reply, citations: [], suggestions: this.suggestions('default', lang) };
  }

  private suggestions(kind: string, lang: Lang): string[] {
    const s = this.deps.prompts.templates.suggestions;
    return (s[kind] ?? s.default)[lang];
  }

  /** A silent reply, for callers outside the policy path (e.g. a failed model with nothing retrieved). */
  silent(lang: Lang): ComposedReply {
    return silentReply({ lang, templates: this.deps.prompts.templates, index: this.deps.index() });
  }
}

interface Draft {
  intent: Intent;
  reply: string;
  citations: Citation[];
  suggestions: string[];
  eligibility?: EligibilityResult;
  /** The corpus had no answer: listed for staff among the unanswered questions. */
  unanswered?: boolean;
}

const fillName = (template: string, name: string) => template.replace('{name}', name);

/** "是", "有", "yes", and for a question on an exam "考过了", "通过了", "I passed". */
const YES = /^(是|是的|对|对的|有|有的|嗯|好|yes|yeah|yep|i do|i have|correct|right|sure|i passed|passed)\b|^(是|有|对|考过|已经考过|已考过|通过了|已通过|过了)/i;
/** "不知道", "not sure": no answer at all, though it starts like a no. */
const UNSURE = /不知道|不清楚|不确定|不太清楚|说不准|不晓得|没数|不记得|记不清|not sure|no idea|don't know|do not know|dunno|not certain|can't remember|cannot remember|maybe|perhaps|也许|可能吧/i;
/** A short "I don't know" (not a longer message that merely contains the words). */
const isUnsure = (text: string) => text.trim().length <= 30 && UNSURE.test(text.trim().toLowerCase());
const NO = /^(不是|没有|没|否|无|不|no|nope|not|none|i don't|i do not|i haven't|never)\b|^(不是|没有|没|否|无|不)|没有|\bno\b|\bnot\b|\bnone\b|don't|haven't/i;

/** Whether facts hold a "no" (a flag or a residence option said not to apply). */
function holdsNo(facts: unknown): boolean {
  if (facts === false) return true;
  return facts !== null && typeof facts === 'object' && Object.values(facts).some(holdsNo);
}

/** Facts asked as "which one?" that a plain "no" answers: no title, no certificate on any list. */
const NONE_ANSWERS: Record<string, string> = { 'currentTitle.level': 'none', 'overseas.listVersion': 'none' };

/** A short yes or no to the first yes/no fact just asked about, or a "no" to a "which one" it answers. */
function yesNoAnswer(text: string, asked: string[]): { path: string; value: boolean | string } | undefined {
  const s = text.trim().toLowerCase();
  if (s.length > 60 || UNSURE.test(s)) return undefined;
  const path = asked.find((p) => (FLAGS as readonly string[]).includes(p));
  if (path) {
    if (NO.test(s)) return { path, value: false };
    if (YES.test(s)) return { path, value: true };
  }
  const none = asked.find((p) => p in NONE_ANSWERS);
  if (none && NO.test(s)) return { path: none, value: NONE_ANSWERS[none] };
  return undefined;
}

/** The title of a check as a topic: its name (会计师), series and level, the asker's own. */
function checkedTopic(facts: Facts, lang: Lang): Topic {
  const series = facts.series!;
  const level = facts.targetLevel;
  const name = (level && titleName(series, level, lang)) ?? SERIES_NAMES[series]?.[lang] ?? series;
  return { query: name, series, ...(level ? { targetLevel: level } : {}), personal: true };
}

/** The facts as they will be `years` from now: the years of work and at the title held grow by as many. */
function yearsOn(facts: Facts, years: number): Facts {
  const out: Facts = { ...facts };
  if (out.yearsInSpecialty !== undefined) out.yearsInSpecialty = Math.min(60, out.yearsInSpecialty + years);
  if (out.currentTitle?.yearsHeld !== undefined) out.currentTitle = { ...out.currentTitle, yearsHeld: Math.min(60, out.currentTitle.yearsHeld + years) };
  return out;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
}

/** Keep only the facts the engine accepts; a bad extracted value is dropped, not fatal. */
function sanitizeFacts(facts: Facts): Facts {
  const parsed = FactsSchema.safeParse(facts);
  if (parsed.success) return parsed.data;
  const copy = structuredClone(facts) as Record<string, unknown>;
  for (const issue of parsed.error.issues) {
    let target: Record<string, unknown> | undefined = copy;
    const path = issue.path.map(String);
    for (const key of path.slice(0, -1)) target = target?.[key] as Record<string, unknown> | undefined;
    if (target && path.length) delete target[path[path.length - 1]];
  }
  const retry = FactsSchema.safeParse(copy);
  return retry.success ? retry.data : {};
}

function docInLanguage(index: KnowledgeIndex, docId: string, lang: Lang): string {
  const doc = index.docs.get(docId);
  if (doc?.lang === lang) return docId;
  const translation = index.translations.get(docId);
  return translation && index.docs.get(translation)?.lang === lang ? translation : docId;
}

/**
 * The sentence of a document that shares the most words with a rule clause. Kept per index (a new
 * index, e.g. after a staff edit, starts afresh): only rule sources are asked for, so the cache is
 * bounded by the rules, and tokenising a source document's sentences was a fifth of an eligibility turn.
 */
const bestSentences = new WeakMap<KnowledgeIndex, Map<string, ReturnType<typeof findBestSentence>>>();
function bestSentence(index: KnowledgeIndex, docId: string, about: string, stated = ''): ReturnType<typeof findBestSentence> {
  let cache = bestSentences.get(index);
  if (!cache) bestSentences.set(index, (cache = new Map()));
  const key = `${docId}\u0000${about}\u0000${stated}`;
  if (!cache.has(key)) cache.set(key, findBestSentence(index, docId, about, stated));
  return cache.get(key);
}

/** Words of the sentence on each way of meeting the Shanghai residence condition. */
const RESIDENCE_WORDS = {
  hukou: { zh: '具有上海户籍', en: 'Shanghai hukou household registration' },
  residencePermit: { zh: '持有有效的《上海市居住证》', en: 'a valid Shanghai Residence Permit' },
  socialInsurance: { zh: '近2年内在上海缴纳社会保险满12个月', en: '12 months of social insurance paid in Shanghai within the last 2 years' },
} as const;

/** Which way the asker meets the residence condition: hukou, the permit, or 12 months of social insurance in 24. */
function residenceMet(facts: Facts): keyof typeof RESIDENCE_WORDS | undefined {
  if (facts.residence?.hukou) return 'hukou';
  if (facts.residence?.residencePermit) return 'residencePermit';
  if ((facts.residence?.socialInsuranceMonthsLast24 ?? 0) >= 12) return 'socialInsurance';
  return undefined;
}

/**
 * The degree and numbers of the condition the reply states, or of its alternative for the asker's degree when it
 * lists several ("博士…满2年；或本科…满5年"): what picks the sentence on that branch; and the rule's clause without
 * its other degrees, which would favour a sentence naming many. Nothing is stated when no branch is the asker's.
 */
function branchOf(about: string, condition: string, degree: string | undefined, lexicon: Lexicon): { about: string; stated: string } {
  const alternatives = condition.split(/；或|; or /);
  const degreesIn = (text: string) => lexicon.degrees.find(normalizeText(text));
  const stated = alternatives.length === 1 ? condition : alternatives.find((a) => degreesIn(a).some((h) => h.value === degree));
  if (!stated) return { about, stated: '' };
  const branchDegrees = new Set(degreesIn(stated).map((h) => h.value));
  let rest = normalizeText(about);
  if (branchDegrees.size) for (const h of degreesIn(rest)) if (!branchDegrees.has(h.value)) rest = rest.split(h.surface).join(' ');
  return { about: rest, stated: [...degreesIn(stated).map((h) => h.surface), ...(stated.match(/\d+/g) ?? [])].join(' ') };
}

/**
 * `stated` (the degree and numbers of the branch that applied) counts three times. A sentence whose numbers are
 * all other than the stated ones ("研究生班…满2年" for "硕士…满1年") is another branch.
 */
function findBestSentence(index: KnowledgeIndex, docId: string, about: string, stated: string): { chunk: KnowledgeIndex['chunks'][number]; quote: string } | undefined {
  const statedWords = new Set(tokenize(stated));
  const want = new Set([...tokenize(about), ...statedWords]);
  const statedNumbers = new Set(stated.match(/\d+/g) ?? []);
  const otherBranch = (sentence: string) => {
    const numbers = sentence.match(/\d+/g);
    return statedNumbers.size > 0 && numbers !== null && !numbers.some((n) => statedNumbers.has(n));
  };
  let best: { chunk: KnowledgeIndex['chunks'][number]; quote: string; score: number } | undefined;
  for (const i of index.chunksByDoc.get(docId) ?? []) {
    const chunk = index.chunks[i];
    for (const line of chunk.text.split('\n')) {
      for (const sentence of splitSentences(line.replace(/^\s*(?:[-*+]|\d+[.)、])\s+/, ''))) {
        if (sentence.length < 6 || !chunk.text.includes(sentence)) continue;
        // Each word once: "上海" three times in a long sentence is no better a match than once in a short one.
        const words = new Set(tokenize(sentence));
        let score = 0;
        for (const w of words) score += (want.has(w) ? 1 : 0) + (statedWords.has(w) ? 2 : 0);
        const normalised = (score / Math.sqrt(words.size + 1)) * (otherBranch(sentence) ? 0.5 : 1);
        if (!best || normalised > best.score) best = { chunk, quote: sentence, score: normalised };
      }
    }
  }
  return best;
}
