export { LiveCorpus, openLiveCorpus, CorpusChangeError, NotFoundError, type LiveCorpusOptions, type ChangeResult } from './live_corpus.js';
