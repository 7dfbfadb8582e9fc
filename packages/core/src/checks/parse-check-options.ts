import type { z } from 'zod';
import { type ParseOptionsContext, parseOptions } from '../config/parse-options.js';
import { VigilError } from '../errors/vigil-error.js';
import { redactText } from '../util/redact.js';

/**
 * Validates options like `parseOptions`, and also redacts credentials from the error's message
 * and issues, for checks whose options hold URLs or proxy URLs (config errors quote the bad value).
 */
export function parseRedactedOptions<TSchema extends z.ZodType>(schema: TSchema, input: unknown, context: ParseOptionsContext): z.output<TSchema> {
  try {
    return parseOptions(schema, input, context);
  } catch (error) {
    if (VigilError.isInstance(error)) {
      throw new VigilError(error.code, redactText(error.message), {
        path: error.path,
        details: error.details === undefined ? undefined : { issues: (error.details.issues as string[] | undefined)?.map((line) => redactText(line)) },
      });
    }
    throw error;
  }
}
