/**
 * The error log's evidence and bounds on DynamoDB Local: every occurrence keeps its evidence as its
 * own item, the last 20 read newest first with an exact total count; a record with thousands of
 * changes and occurrences and maximum-size non-ASCII fields stays under DynamoDB's 400 KB.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../local/runtime.js';
import { MAX_CHANGES, MAX_LINK_BYTES, itemBytes } from '../../shared/error-log/domain/bounds.js';
import { toOccurrence } from '../../shared/error-log/domain/sources.js';
import type { Occurrence } from '../../shared/error-log/domain/sources.js';
import { ErrorStore } from '../../shared/error-log/store.js';
import { ddb } from '../../shared/platform/dynamodb/client.js';
import { startTestRuntime } from './helpers.js';

let runtime: Runtime;
let store: ErrorStore;

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  runtime = await startTestRuntime();
  store = new ErrorStore();
});

afterAll(async () => {
  await runtime?.stop();
});

/** A report as the writer parses it, with the largest non-ASCII fields a report may carry. */
function largestReport(subject: string, n: number, eventId = randomUUID()): Occurrence {
  return toOccurrence({
    id: randomUUID(),
    source: 'customers-portal',
    'detail-type': 'Revenue Error Reported',
    time: '2026-03-01T00:00:00Z',
    detail: {
      eventId,
      occurredAt: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
      system: 'customers-portal',
      integration: 'zuora',
      flow: 'renewal',
      code: 'BOUNDS',
      errorType: '語'.repeat(200),
      message: '語'.repeat(4000),
      subject,
      backtrace: Array.from({ length: 50 }, () => '語'.repeat(1000)),
      // Just under 64 KB of JSON, in keys the redaction keeps and strings it cuts at 4,000 characters.
      payload: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`field${i}`, '語'.repeat(4000)])),
    },
  });
}

const rawRecord = async (id: string) =>
  (await ddb().send(new GetCommand({ TableName: process.env.TABLE_ERRORS!, Key: { pk: `ERR#${id}`, sk: 'RECORD' }, ConsistentRead: true }))).Item!;

describe('Class: ErrorStore', () => {
  describe('Method: recentOccurrences', () => {
    it('keeps every occurrence with an exact count, and answers the last 20 newest first', async () => {
      const subject = `bounds-${randomUUID()}`;
      let id = '';
      for (let n = 0; n < 30; n++) id = (await store.recordOccurrence(largestReport(subject, n))).id;
      const record = await store.get(id);
      expect(record!.occurrences).toBe(30);
      const recent = await store.recentOccurrences(id);
      expect(recent).toHaveLength(20);
      const times = recent.map((o) => o.occurredAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(times[0]).toBe(new Date(Date.UTC(2026, 2, 1) + 29_000).toISOString());
      expect(recent[0]).toMatchObject({ occurrenceId: expect.stringMatching(/^report:customers-portal:/), receivedAt: expect.any(String), message: expect.any(String) });
    });
  });

  describe('Method: recordOccurrence, in any order', () => {
    it('keeps the newest occurrence as the record\'s latest when an older one arrives after it, and moves firstSeenAt back', async () => {
      const subject = `late-${randomUUID()}`;
      const newer = { ...largestReport(subject, 100), message: 'the newer failure' };
      const older = { ...largestReport(subject, 10), message: 'the older failure' };
      const { id } = await store.recordOccurrence(newer);
      expect((await store.recordOccurrence(older)).outcome).toBe('repeated');
      expect(await store.get(id)).toMatchObject({ occurrences: 2, message: 'the newer failure', lastSeenAt: newer.occurredAt, firstSeenAt: older.occurredAt });
      expect((await store.recentOccurrences(id)).map((o) => o.message)).toEqual(['the newer failure', 'the older failure']);
    });

    it('counts each occurrence once and keeps the same evidence, newest first, whatever the order and the duplicates', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 6 }).chain((n) =>
            fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array.from({ length: n }, (_, i) => i), ...Array.from({ length: n }, (_, i) => i)], { minLength: n * 2, maxLength: n * 2 })),
          ),
          async ([n, order]) => {
            const subject = `order-${randomUUID()}`;
            const ids = Array.from({ length: n }, () => randomUUID());
            let id = '';
            for (const k of order) id = (await store.recordOccurrence(largestReport(subject, k, ids[k]))).id;
            const record = await store.get(id);
            expect(record!.occurrences).toBe(n);
            const recent = await store.recentOccurrences(id);
            expect(recent.map((o) => o.occurrenceId)).toEqual(ids.map((e) => `report:customers-portal:${e}`).reverse());
          },
        ),
        { numRuns: 12 },
      );
    });
  });

  describe('bounds', () => {
    it('keeps the change log bounded when a record is reopened and resolved again and again', async () => {
      const subject = `cycles-${randomUUID()}`;
      const { id } = await store.recordOccurrence(largestReport(subject, 0));
      for (let k = 1; k <= 30; k++) {
        const current = (await store.get(id))!;
        await store.applyChanges(id, current.revision, { status: 'resolved' }, [{ at: new Date().toISOString(), actor: 'operator-1', field: 'status', from: current.status, to: 'resolved' }]);
        // The failure comes back after the resolution: the writer reopens the record.
        const back = { ...largestReport(subject, 0), occurredAt: new Date(Date.now() + k * 1000).toISOString() };
        expect((await store.recordOccurrence(back)).outcome).toBe('reopened');
      }
      const record = (await store.get(id))!;
      expect(record).toMatchObject({ status: 'open', occurrences: 31 });
      expect(record.changes).toHaveLength(MAX_CHANGES);
      expect(record.changes.length + record.changesOmitted).toBe(60);
      expect(record.changes.at(-1)).toMatchObject({ field: 'status', from: 'resolved', to: 'open', actor: 'error-log-writer' });
    });

    it('keeps a record with thousands of changes and occurrences and the largest non-ASCII fields under 400 KB', async () => {
      const subject = `語`.repeat(300);
      const first = largestReport(subject, 0);
      const { id } = await store.recordOccurrence(first);
      for (let n = 1; n < 100; n++) await store.recordOccurrence(largestReport(subject, n));
      // 2,000 change-log entries of the largest kind (links of MAX_LINK_BYTES from and to, note
      // excerpts of 200 three-byte characters), with notes of 10,000 three-byte characters.
      const longLink = (k: number) => `https://gitlab.example.com/${k}/${'語'.repeat((MAX_LINK_BYTES - 40) / 3)}`;
      let current = (await store.get(id))!;
      for (let k = 0; k < 200; k++) {
        const entries = Array.from({ length: 5 }, () => [
          { at: new Date().toISOString(), actor: `operator-${'x'.repeat(100)}`, field: 'notes' as const, from: '語'.repeat(200), to: '語'.repeat(200) },
          { at: new Date().toISOString(), actor: `operator-${'x'.repeat(100)}`, field: 'gitlabIssueLink' as const, from: longLink(k), to: longLink(k + 1) },
        ]).flat();
        current = await store.applyChanges(id, current.revision, { notes: `${k}${'語'.repeat(9_990)}`, gitlabIssueLink: longLink(k + 1) }, entries);
      }
      const record = (await store.get(id))!;
      expect(record.occurrences).toBe(100);
      expect(record.changes).toHaveLength(MAX_CHANGES);
      expect(record.changesOmitted).toBe(2_000 - MAX_CHANGES);
      expect(record.changes.at(-1)!.to).toBe(longLink(200));
      const size = itemBytes(await rawRecord(id));
      expect(size).toBeGreaterThan(100_000);
      expect(size).toBeLessThan(400 * 1024);
      // And DynamoDB Local still takes writes to it: another occurrence counts.
      expect((await store.recordOccurrence(largestReport(subject, 500))).outcome).toBe('repeated');
    });
  });
});
