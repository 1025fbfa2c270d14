// The channels folder's door: every messaging platform, translated to mentor turns and back.
// createChannels (create.ts) loads each platform's code only when it is on; the server imports it from there.
export { createChannels, ChannelConfigError, type Channels } from './create.js';

export { type ChannelDeps, type ChannelTurn, type Lang, failureCode, failureText } from './shared.js';
export { replyPieces, plainText, plainReply, markdownReply, sourcesList } from './render.js';
export { WeChatAdapter, wechatSignature, splitUtf8, utf8Length, WECHAT_TEXT_LIMIT } from './wechat_adapter.js';
export { WeChatCustomerService, WeChatApiError } from './wechat_api.js';
export { verifySlackSignature } from './slack.js';
export { replyBlocks, toMrkdwn } from './slack_blocks.js';
