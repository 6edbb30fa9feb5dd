/** The contract of an operator's job run: `POST /v1/jobs/<job>/runs`. */
import * as z from '../platform/zod.js';
import { isoDate } from '../platform/schemas.js';

/** The body (optional: none or `{}` runs the job for today). */
export const jobRunBody = z.strictObject({ asOf: z.optional(isoDate).check(z.describe('The day to run for (UTC); today when omitted')) });
