import { parseDuration } from '@vigil/core';
import { isValidTimeZone } from '@vigil/notification-format';
import { z } from 'zod';

const durationSchema = z.union([z.number().positive(), z.string().min(1)]).superRefine((value, context) => {
  try {
    if (parseDuration(value) <= 0) context.addIssue({ code: 'custom', message: 'expected a positive duration' });
  } catch {
    context.addIssue({ code: 'custom', message: 'expected a duration like 500ms, 30s, 1m or a number of milliseconds' });
  }
});

/** `Name <user@example.com>` or `user@example.com`; line breaks are refused (header injection). */
const addressSchema = z
  .string()
  .min(3)
  .refine((value) => !/[\r\n]/.test(value), 'addresses cannot contain line breaks')
  .refine((value) => /^(?:[^<>]*<[^<>\s]+@[^<>\s]+>|[^<>\s]+@[^<>\s]+)$/.test(value.trim()), 'expected an address like alerts@example.com or "Vigil <alerts@example.com>"');

const addressListSchema = z.union([addressSchema, z.array(addressSchema).min(1)]);

/** Options of {@link createEmailNotifier}. */
export const emailNotifierOptionsSchema = z
  .strictObject({
    /** The SMTP server. */
    host: z.string().min(1),
    /** Default 465 with `security: implicit`, else 587. */
    port: z.number().int().min(1).max(65_535).optional(),
    /**
     * `starttls` (default): upgrade with STARTTLS and refuse to send without it; `implicit`: TLS
     * from the first byte (SMTPS); `opportunistic`: STARTTLS when offered; `none`: never TLS.
     */
    security: z.enum(['starttls', 'implicit', 'opportunistic', 'none']).default('starttls'),
    tls: z
      .strictObject({
        /** Verify the server certificate; default true. */
        rejectUnauthorized: z.boolean().default(true),
        /** Trust these CA certificates (PEM) instead of the system store. */
        ca: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
        /** The name to verify the certificate against; default the host. */
        servername: z.string().min(1).optional(),
      })
      .optional(),
    /** SMTP AUTH; both or neither. */
    username: z.string().min(1).optional(),
    password: z.string().min(1).optional(),
    from: addressSchema,
    to: addressListSchema,
    cc: addressListSchema.optional(),
    replyTo: addressSchema.optional(),
    /** Put before every subject; default `[vigil] `. */
    subjectPrefix: z.string().max(64).refine((value) => !/[\r\n]/.test(value), 'no line breaks').default('[vigil] '),
    /** Connecting, the greeting and each SMTP command must take less than this; default 30s. */
    timeout: durationSchema.default('30s'),
    /** The name this client gives in EHLO; default the machine's host name. */
    clientName: z.string().min(1).optional(),
    /** Time zone of times in messages; default UTC. */
    timeZone: z.string().refine(isValidTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin').default('UTC'),
  })
  .superRefine((options, context) => {
    if ((options.username === undefined) !== (options.password === undefined)) {
      context.addIssue({ code: 'custom', path: [options.username === undefined ? 'username' : 'password'], message: 'set both username and password, or neither' });
    }
  });

/** Options of {@link createEmailNotifier}, as written in code or config. */
export type EmailNotifierOptions = z.input<typeof emailNotifierOptionsSchema>;
/** The options after defaults were applied. */
export type ParsedEmailNotifierOptions = z.output<typeof emailNotifierOptionsSchema>;
