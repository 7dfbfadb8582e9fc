import { createHash } from 'node:crypto';
import {
  type Clock,
  type Logger,
  type Notification,
  type Notifier,
  type PluginDefinition,
  type PluginMeta,
  type SendOptions,
  type SendResult,
  VigilError,
  createDeliveryTracker,
  describeError,
  parseDuration,
  parseOptions,
  redactText,
  silentLogger,
  systemClock,
} from '@vigil/core';
import { summarizeNotification } from '@vigil/notification-format';
import nodemailer from 'nodemailer';
import { type EmailNotifierOptions, type ParsedEmailNotifierOptions, emailNotifierOptionsSchema } from './options.js';
import { renderEmail } from './render.js';

/** Who the e-mail notifier is, for the plugin registry. */
export const emailNotifierMeta: PluginMeta = Object.freeze({ name: '@vigil/notifiers-email', kind: 'notifier', type: 'email', coreRange: '^0.1.0' });

/** Collaborators that do not belong in a config file. */
export interface EmailNotifierRuntime {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** An SMTP error as nodemailer reports it. */
interface SmtpError {
  readonly code?: unknown;
  readonly responseCode?: unknown;
  readonly response?: unknown;
  readonly command?: unknown;
  readonly message?: unknown;
  /** The socket's own code under nodemailer's, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly originalCode?: unknown;
}

/** Connection-level failures: the server may well take the message on the next attempt. */
const transientCodes = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'EPROTOCOL', 'EABORT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** OpenSSL's certificate verification failures: a certificate that does not verify will not start to within a retry window. */
const certificateFailure = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

/**
 * Maps a failed SMTP delivery to retryable or failed. RFC 5321 §4.2.1: a 4yz reply is a
 * transient failure (retry; also 454 "TLS not available" of RFC 3207), a 5yz reply is permanent
 * (550 mailbox unavailable, 554 rejected, 535 bad credentials) except 503 (bad sequence), which
 * a new session can get past. Without a reply: connection trouble is retryable, a certificate
 * that does not verify and other local problems are not.
 */
export function classifySmtpError(error: unknown): 'retryable' | 'failed' {
  const smtp = (typeof error === 'object' && error !== null ? error : {}) as SmtpError;
  const responseCode = typeof smtp.responseCode === 'number' ? smtp.responseCode : undefined;
  if (responseCode !== undefined && responseCode >= 400) return responseCode >= 500 && responseCode !== 503 ? 'failed' : 'retryable';
  if (typeof smtp.originalCode === 'string' && certificateFailure.test(smtp.originalCode)) return 'failed';
  const code = typeof smtp.code === 'string' ? smtp.code : '';
  if (transientCodes.has(code)) return 'retryable';
  // TLS, authentication without a reply code, bad envelopes and config problems will not fix themselves.
  if (code !== '') return 'failed';
  return 'retryable';
}

function domainOf(address: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address);
  return match?.[1] ?? 'vigil.invalid';
}

/** A Message-ID derived from the notification id: retries carry the same one, so receivers and MTAs can drop duplicates. */
export function messageIdFor(notificationId: string, fromAddress: string): string {
  const local = /^[A-Za-z0-9._-]{1,64}$/.test(notificationId) ? notificationId : createHash('sha256').update(notificationId).digest('hex').slice(0, 32);
  return `<vigil.${local}@${domainOf(fromAddress)}>`;
}

/** Creates the e-mail notifier: one message (plain text and HTML) per notification, over SMTP with nodemailer. */
export function createEmailNotifier(options: EmailNotifierOptions, runtime: EmailNotifierRuntime = {}): Notifier {
  const settings: ParsedEmailNotifierOptions = Object.freeze(parseOptions(emailNotifierOptionsSchema, options, { source: 'notifiers-email' }));
  const clock = runtime.clock ?? systemClock;
  const logger = (runtime.logger ?? silentLogger).child({ notifier: 'email' });
  const timeoutMs = parseDuration(settings.timeout);
  const secrets = settings.password === undefined ? [] : [settings.password];
  const redact = (text: string): string => redactText(text, secrets);
  const deliveries = createDeliveryTracker({ source: 'notifiers-email', clock });
  let shutdownPromise: Promise<void> | undefined;

  // Creating a transport does no I/O: connections open per message.
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port ?? (settings.security === 'implicit' ? 465 : 587),
    secure: settings.security === 'implicit',
    requireTLS: settings.security === 'starttls',
    ignoreTLS: settings.security === 'none',
    ...(settings.username === undefined ? {} : { auth: { user: settings.username, pass: settings.password as string } }),
    tls: {
      rejectUnauthorized: settings.tls?.rejectUnauthorized ?? true,
      ...(settings.tls?.ca === undefined ? {} : { ca: settings.tls.ca }),
      ...(settings.tls?.servername === undefined ? {} : { servername: settings.tls.servername }),
    },
    ...(settings.clientName === undefined ? {} : { name: settings.clientName }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Alert e-mails never attach files or fetch URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
    logger: false,
  });

  const deliver = async (notification: Notification, signal: AbortSignal): Promise<SendResult> => {
    const summary = summarizeNotification(notification, { timeZone: settings.timeZone });
    const content = renderEmail(summary, settings.subjectPrefix);
    const messageId = messageIdFor(notification.id, settings.from);
    try {
      const info = await transport.sendMail({
        from: settings.from,
        to: settings.to,
        ...(settings.cc === undefined ? {} : { cc: settings.cc }),
        ...(settings.replyTo === undefined ? {} : { replyTo: settings.replyTo }),
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId,
        date: new Date(clock.now()),
        headers: {
          // RFC 3834: no vacation auto-replies to alerts.
          'Auto-Submitted': 'auto-generated',
          'X-Vigil-Notification-Id': notification.id,
        },
        signal,
      });
      const rejected = Array.isArray(info.rejected) ? info.rejected.map(String) : [];
      if (rejected.length > 0) logger.warn('some recipients were refused', { notification: notification.id, rejected });
      logger.debug('e-mail sent', { notification: notification.id, messageId, response: redact(String(info.response ?? '')) });
      return { kind: 'sent', id: messageId };
    } catch (error) {
      const smtp = error as SmtpError;
      const code = typeof smtp.code === 'string' ? ` ${smtp.code}` : '';
      const text = redact(describeError(error));
      const wrapped = new VigilError('VIGIL_ERR_NOTIFIER_SEND', `[notifiers-email] sending to ${settings.host} failed${code}: ${text}`, {
        details: { ...(typeof smtp.responseCode === 'number' ? { responseCode: smtp.responseCode } : {}), ...(code ? { code: code.trim() } : {}) },
      });
      if (signal.aborted) return { kind: 'retryable', error: wrapped };
      return { kind: classifySmtpError(error), error: wrapped };
    }
  };

  return {
    specificationVersion: 'v1',
    meta: emailNotifierMeta,
    send(notification: Notification, sendOptions: SendOptions): Promise<SendResult> {
      return deliveries.send(sendOptions, (signal) => deliver(notification, signal));
    },
    shutdown(shutdownOptions = {}) {
      shutdownPromise ??= (async () => {
        await deliveries.drain(shutdownOptions.timeoutMs ?? 5_000);
        deliveries.abortRemaining();
        transport.close();
      })();
      return shutdownPromise;
    },
  };
}

/** The e-mail notifier plugin: `type: email` in config files. */
export const emailNotifierPlugin: PluginDefinition<typeof emailNotifierOptionsSchema, Notifier> = Object.freeze({
  meta: emailNotifierMeta,
  optionsSchema: emailNotifierOptionsSchema,
  create: (options: EmailNotifierOptions) => createEmailNotifier(options),
  description: 'Sends alerts as e-mail (plain text and HTML) over SMTP with STARTTLS or TLS and AUTH.',
});
