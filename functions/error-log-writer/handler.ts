/** The error-log writer: the target of the one rule for failures (see shared/error-log/writer.ts). */
import { SlackNotifier } from '../../shared/error-log/slack.js';
import { defaultWriterDeps, recordFailure } from '../../shared/error-log/writer.js';
import type { WriteResult, WriterDeps } from '../../shared/error-log/writer.js';
import { ProcessDefault } from '../../shared/platform/process-default.js';

/** The store, Slack and settings the writer uses, created at the first event (a test puts its own in place). */
export const writerDeps = new ProcessDefault<WriterDeps>(() => defaultWriterDeps(new SlackNotifier()));

export const handler = async (event: unknown): Promise<WriteResult> => recordFailure(event, writerDeps.get());
