import type { AlertEvent } from '../contracts/alert.js';

/**
 * Fills a link template from an alert: `{checkId}`, `{ruleId}`, `{alertId}`, `{severity}`,
 * `{state}`, `{tags.NAME}` or just `{NAME}` for a tag. Values are URL-encoded (the result is a
 * link); an unknown placeholder becomes empty so a missing tag never leaves braces in a URL.
 */
export function fillLinkTemplate(template: string, event: Pick<AlertEvent, 'checkId' | 'ruleId' | 'alertId' | 'severity' | 'state' | 'tags'>): string {
  const builtIn: Readonly<Record<string, string>> = {
    checkId: event.checkId,
    ruleId: event.ruleId,
    alertId: event.alertId,
    severity: event.severity,
    state: event.state,
  };
  return template.replace(/\{([^{}]+)\}/g, (_whole, name: string) => {
    const tag = name.startsWith('tags.') ? name.slice(5) : name;
    // Own properties only: `{constructor}` must not reach Object.prototype.
    const value = name.startsWith('tags.') || !Object.hasOwn(builtIn, name) ? (Object.hasOwn(event.tags, tag) ? event.tags[tag] : undefined) : builtIn[name];
    return encodeURIComponent(value ?? '');
  });
}
