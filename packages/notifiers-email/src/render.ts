import { type NotificationSummary, cleanValue, escapeHtml, renderPlainText } from '@vigil/notification-format';

/** An e-mail's subject and bodies. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const stateColours: Readonly<Record<string, string>> = {
  critical: '#d93025',
  warning: '#f29900',
  info: '#1a73e8',
  resolved: '#188038',
  ok: '#188038',
  flapping: '#9334e6',
  pending: '#f9ab00',
};

/**
 * Renders a notification as an e-mail: the subject is the title, the text body the shared plain
 * text, the HTML body a small self-contained page (inline styles only: mail clients drop
 * `<style>`), every dynamic value HTML-escaped and links only for http(s) URLs.
 */
export function renderEmail(summary: NotificationSummary, subjectPrefix: string): EmailContent {
  const subject = cleanValue(`${subjectPrefix}${summary.title}`, 250);
  const blocks = summary.events.map((event) => {
    const colour = (event.event.state === 'firing' ? stateColours[event.event.severity] : stateColours[event.event.state]) ?? '#5f6368';
    const rows = event.fields
      .map((field) => `<tr><th align="left" style="padding:2px 12px 2px 0;vertical-align:top;color:#5f6368;font-weight:normal">${escapeHtml(field.label)}</th><td style="padding:2px 0">${escapeHtml(field.value)}</td></tr>`)
      .join('');
    const open = event.link ? `<p style="margin:8px 0 0"><a href="${escapeHtml(event.link)}">Open</a></p>` : '';
    return [
      `<div style="border-left:4px solid ${colour};padding:4px 0 4px 12px;margin:16px 0">`,
      `<h3 style="margin:0 0 4px;font-size:16px">${escapeHtml(event.heading)}</h3>`,
      event.message ? `<p style="margin:0 0 8px">${escapeHtml(event.message)}</p>` : '',
      `<table cellpadding="0" cellspacing="0" style="font-size:14px">${rows}</table>`,
      open,
      '</div>',
    ].join('');
  });
  const html = [
    '<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"></head>',
    '<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#202124;margin:0;padding:16px">',
    `<h2 style="margin:0 0 8px;font-size:18px">${escapeHtml(summary.title)}</h2>`,
    ...blocks,
    '<p style="color:#5f6368;font-size:12px;margin-top:24px">Sent by Vigil.</p>',
    '</body></html>',
  ].join('');
  return { subject, text: `${renderPlainText(summary)}\n\n-- \nSent by Vigil.\n`, html };
}
