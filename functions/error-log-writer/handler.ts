/** The error-log writer: the target of the one rule for failures (see shared/error-log/writer.ts). */
import { SlackNotifier } from '../../shared/error-log/slack.js';
import { defaultWriterDeps, recordFailure } from '../../shared/error-log/writer.js';
import type { WriteResult, WriterDeps } from '../../shared/error-log/writer.js';

let deps: WriterDeps | undefined;

export const handler = async (event: unknown): Promise<WriteResult> => recordFailure(event, (deps ??= defaultWriterDeps(new SlackNotifier())));
