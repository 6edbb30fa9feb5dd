/**
 * The dual HTTP + EventBridge adapter with a fake command: what each trigger parses, who the actor
 * is, and what the event side does with settled and unsettled errors.
 */
import { describe, expect, it, vi } from 'vitest';
import * as z from '../../../../shared/platform/zod.js';
import { ApplicationError, NotFoundError } from '../../../../shared/platform/errors.js';
import { dualHandler } from '../../../../shared/platform/http/dual.js';
import type { CommandOptions } from '../../../../shared/platform/exactly-once.js';
import { apiGatewayEvent, lambdaContext } from '../../fixtures/api-gateway.js';

interface Add {
  eventId: string;
  counterId: string;
  by: number;
}
interface Added {
  value: number;
  replayed: boolean;
  dryRun: boolean;
}

class Stale extends ApplicationError {
  readonly kind = 'conflict';
}

const body = z.strictObject({ eventId: z.string(), by: z.int() });
const path = z.strictObject({ counterId: z.string() });

function counter(execute: (command: Add, options: CommandOptions) => Promise<Added>) {
  const run = vi.fn(execute);
  const handler = dualHandler({
    name: 'add',
    detailType: 'Counter Added',
    path,
    body,
    detail: z.extend(body, { counterId: z.string() }),
    fromRequest: (p, b) => ({ ...b, counterId: p.counterId }),
    fromDetail: (d) => d,
    execute: run,
    answer: (result) => ({ value: result.value }),
    describe: (command) => ({ counterId: command.counterId }),
  });
  return { handler, run };
}

const busEvent = (detail: unknown, detailType = 'Counter Added') => ({
  version: '0', id: 'eb-1', 'detail-type': detailType, source: 'customers-portal', account: '1', time: '2026-05-01T00:00:00Z', region: 'eu-west-1', resources: [], detail,
});
const httpEvent = (payload: unknown, query?: Record<string, string>) =>
  apiGatewayEvent('POST /v1/counters/{counterId}/additions', { pathParameters: { counterId: 'c-1' }, body: payload, query });

describe('Function: dualHandler', () => {
  describe('Method: handler (HTTP)', () => {
    it('builds the command from path and body, runs it as the caller, and answers with the replay and dry-run headers', async () => {
      const { handler, run } = counter(async (_c, options) => ({ value: 3, replayed: false, dryRun: options.dryRun ?? false }));
      const res = (await handler(httpEvent({ eventId: 'e-1', by: 3 }, { dryRun: 'true' }) as never, lambdaContext)) as { statusCode: number; body: string; headers: Record<string, string> };
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ value: 3 });
      expect(res.headers).toMatchObject({ 'idempotent-replayed': 'false', 'dry-run': 'true' });
      expect(run).toHaveBeenCalledWith({ eventId: 'e-1', by: 3, counterId: 'c-1' }, { actor: expect.stringMatching(/^arn:aws:iam::/), dryRun: true });
    });

    it('answers what the command threw through the error contract', async () => {
      const { handler } = counter(async () => {
        throw new NotFoundError('No counter c-1.');
      });
      const res = (await handler(httpEvent({ eventId: 'e-1', by: 3 }) as never, lambdaContext)) as { statusCode: number; body: string };
      expect(res.statusCode).toBe(404);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'not_found', message: 'No counter c-1.' } });
    });
  });

  describe('Method: handler (EventBridge)', () => {
    it('runs the detail as the command, as eventbridge:<source>', async () => {
      const { handler, run } = counter(async () => ({ value: 3, replayed: false, dryRun: false }));
      await expect(handler(busEvent({ eventId: 'e-1', by: 3, counterId: 'c-1' }) as never, lambdaContext)).resolves.toBeUndefined();
      expect(run).toHaveBeenCalledWith({ eventId: 'e-1', by: 3, counterId: 'c-1' }, { actor: 'eventbridge:customers-portal' });
    });

    it('throws an invalid detail as invalid input, running nothing', async () => {
      const { handler, run } = counter(async () => ({ value: 3, replayed: false, dryRun: false }));
      await expect(handler(busEvent({ eventId: 'e-1' }) as never, lambdaContext)).rejects.toMatchObject({
        name: 'InvalidInputError',
        kind: 'invalid_input',
        code: 'validation_failed',
        details: expect.arrayContaining([{ field: 'by', message: expect.any(String) }, { field: 'counterId', message: expect.any(String) }]),
      });
      expect(run).not.toHaveBeenCalled();
    });

    it('refuses another detail-type: the rule\'s pattern is wrong', async () => {
      const { handler, run } = counter(async () => ({ value: 3, replayed: false, dryRun: false }));
      await expect(handler(busEvent({ eventId: 'e-1', by: 3, counterId: 'c-1' }, 'Counter Removed') as never, lambdaContext)).rejects.toThrow(/check the rule's pattern/);
      expect(run).not.toHaveBeenCalled();
    });

    it('treats an error that says it is settled as done', async () => {
      const { handler } = counter(async () => {
        throw new Stale('stale_event', 'older than what is applied', { settled: true });
      });
      await expect(handler(busEvent({ eventId: 'e-1', by: 3, counterId: 'c-1' }) as never, lambdaContext)).resolves.toBeUndefined();
    });

    it('rethrows every other error, whatever its code, so it reaches the failure destination', async () => {
      const unsettled = new Stale('stale_event', 'a code alone does not settle anything');
      const { handler } = counter(async () => {
        throw unsettled;
      });
      await expect(handler(busEvent({ eventId: 'e-1', by: 3, counterId: 'c-1' }) as never, lambdaContext)).rejects.toBe(unsettled);
    });
  });
});
