// @vigil/notification-format public API. Explicit names only.
export { escapeDiscordMarkdown, escapeHtml, escapeMarkdownV2, escapeMarkdownV2Code, escapeMarkdownV2Url, escapeSlackText, isWebLink } from './escape.js';
export {
  cleanValue,
  formatElapsed,
  formatTimestamp,
  formatValue,
  isValidTimeZone,
  renderPlainText,
  stateEmojiOf,
  summarizeEvent,
  summarizeNotification,
} from './summary.js';
export type { EventSummary, NotificationSummary, SummaryField, SummaryOptions } from './summary.js';
