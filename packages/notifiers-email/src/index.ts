// @vigil/notifiers-email public API. Explicit names only.
export { classifySmtpError, createEmailNotifier, emailNotifierMeta, emailNotifierPlugin, messageIdFor } from './email-notifier.js';
export type { EmailNotifierRuntime } from './email-notifier.js';
export { emailNotifierOptionsSchema } from './options.js';
export type { EmailNotifierOptions, ParsedEmailNotifierOptions } from './options.js';
export { renderEmail } from './render.js';
export type { EmailContent } from './render.js';
