/**
 * The wire format of EventBridge PutEvents (AWS JSON 1.1): the request a real
 * `@aws-sdk/client-eventbridge` client sends, the answer it expects, and the events the bus gets.
 *
 * Validation follows the API reference: 1–10 entries and at most 256 KB of entries (sized as
 * "Calculating PutEvents event entry size" says) or the whole request fails with a
 * ValidationException; otherwise each entry fails or succeeds on its own, in order.
 *
 * One deliberate difference: real EventBridge answers success for an entry naming a bus that does
 * not exist and drops the event. Locally such an entry fails with ResourceNotFoundException, and an
 * entry without EventBusName means the `default` bus, as in AWS, so it fails unless the configured
 * bus is `default`: a forgotten EventBusName shows up here rather than as a lost event.
 */
import * as z from '../shared/platform/zod.js';

export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface PutEventsOptions {
  /** The one bus the local runtime emulates. */
  busName: string;
  region: string;
  account: string;
  now: () => Date;
  newId: () => string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  status: number;
  body: { FailedEntryCount: number; Entries: PutEventsResultEntry[] } | { __type: string; message: string };
  accepted: EventBridgeEvent[];
}

export const PUT_EVENTS_TARGET = 'AWSEvents.PutEvents';
export const AMZ_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
export const MAX_ENTRIES = 10;
export const MAX_ENTRIES_BYTES = 256 * 1024;

const EntrySchema = z.object({
  Source: z.optional(z.string()),
  DetailType: z.optional(z.string()),
  Detail: z.optional(z.string()),
  EventBusName: z.optional(z.string()),
  Resources: z.optional(z.array(z.string())),
  // awsJson1_1 sends timestamps as epoch seconds; accept an ISO string from hand-written callers.
  Time: z.optional(z.union([z.number(), z.string()])),
  TraceHeader: z.optional(z.string()),
});
type Entry = z.infer<typeof EntrySchema>;

const BodySchema = z.object({
  Entries: z.array(EntrySchema),
  EndpointId: z.optional(z.string()),
});

export function parsePutEvents(
  headers: Record<string, string | string[] | undefined>,
  body: string,
  opts: PutEventsOptions,
): PutEventsResult {
  const target = header(headers, 'x-amz-target');
  if (target !== PUT_EVENTS_TARGET) {
    return failure('UnknownOperationException', `Unknown operation ${target ?? '(no X-Amz-Target)'}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return failure('SerializationException', 'The request body is not valid JSON.');
  }
  const parsed = BodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'request';
    return failure('ValidationException', `1 validation error detected: ${where}: ${issue?.message ?? 'invalid'}`);
  }

  const entries = parsed.data.Entries;
  if (entries.length < 1 || entries.length > MAX_ENTRIES) {
    const bound = entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
    return failure(
      'ValidationException',
      `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
    );
  }
  if (entries.reduce((n, e) => n + entrySize(e), 0) > MAX_ENTRIES_BYTES) {
    return failure('ValidationException', 'Total size of the entries in the request is over the limit.');
  }

  const accepted: EventBridgeEvent[] = [];
  const results = entries.map((entry): PutEventsResultEntry => {
    const checked = checkEntry(entry, opts);
    if ('ErrorCode' in checked) return checked;
    const event: EventBridgeEvent = {
      version: '0',
      id: opts.newId(),
      'detail-type': checked.detailType,
      source: checked.source,
      account: opts.account,
      time: checked.time,
      region: opts.region,
      resources: entry.Resources ?? [],
      detail: checked.detail,
    };
    accepted.push(event);
    return { EventId: event.id };
  });

  return {
    status: 200,
    body: { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results },
    accepted,
  };
}

type Checked = { source: string; detailType: string; detail: Record<string, unknown>; time: string };

function checkEntry(entry: Entry, opts: PutEventsOptions): Checked | { ErrorCode: string; ErrorMessage: string } {
  for (const name of ['Source', 'DetailType', 'Detail'] as const) {
    if (!entry[name]) return invalid(`Parameter ${name} is not valid. Reason: ${name} is a required argument.`);
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  const time = eventTime(entry.Time, opts.now);
  if (time === undefined) return invalid('Parameter Time is not valid. Reason: Time is not a valid timestamp.');
  const bus = entry.EventBusName || 'default';
  const ownArn = `arn:aws:events:${opts.region}:${opts.account}:event-bus/${opts.busName}`;
  if (bus !== opts.busName && bus !== ownArn) {
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${bus} does not exist.` };
  }
  return {
    source: entry.Source as string,
    detailType: entry.DetailType as string,
    detail: detail as Record<string, unknown>,
    time,
  };
}

const invalid = (message: string) => ({ ErrorCode: 'InvalidArgument', ErrorMessage: message });

/** Entry size as the EventBridge user guide computes it: Time counts 14 bytes, strings their UTF-8 length. */
function entrySize(e: Entry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (e.Time === undefined ? 0 : 14) +
    bytes(e.Source) +
    bytes(e.DetailType) +
    bytes(e.Detail) +
    (e.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/** Events carry RFC 3339 times to the second, e.g. `2017-12-22T18:43:48Z`. */
function eventTime(time: number | string | undefined, now: () => Date): string | undefined {
  const date = time === undefined ? now() : new Date(typeof time === 'number' ? time * 1000 : time);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function failure(type: string, message: string): PutEventsResult {
  return { status: 400, body: { __type: type, message }, accepted: [] };
}
