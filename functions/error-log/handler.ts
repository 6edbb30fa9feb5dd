/** The error log's operator routes: list (newest first), read, and PATCH along the workflow. */
import * as z from '../../shared/platform/zod.js';
import { errorPatchBody, publicRecord } from '../../shared/error-log/domain/record.js';
import { errorStatuses } from '../../shared/error-log/domain/status.js';
import { FLOWS } from '../../shared/error-log/domain/sources.js';
import { patchError } from '../../shared/error-log/workflow.js';
import { NotFoundError } from '../../shared/platform/errors.js';
import { parseBody, parseWith, recordedActor } from '../../shared/platform/http/handler.js';
import { operatorHandler } from '../../shared/platform/http/operator-token.js';
import { pageLimit } from '../../shared/platform/schemas.js';
import { ErrorStore } from '../../shared/error-log/store.js';
import { recordView } from '../../shared/error-log/record-view.js';

const store = new ErrorStore();

const slug = z.string().check(z.regex(/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/, 'a lowercase slug such as customers-portal'));

const listQuery = z.strictObject({
  status: z.optional(z.enum(errorStatuses)),
  system: z.optional(slug),
  integration: z.optional(z.union([z.literal('none'), slug])),
  flow: z.optional(z.enum(FLOWS)),
  code: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,100}$/, 'an error code such as VALIDATION_ERROR'))),
  limit: pageLimit(100),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});

const idPath = z.strictObject({ id: z.string().check(z.regex(/^err_[0-9a-f]{24}$/, 'an error id such as err_0123456789abcdef01234567')) });

export const handler = operatorHandler(
  async (event, { actor, log }) => {
    if (event.routeKey === 'GET /v1/errors') {
      const query = parseWith(listQuery, event.queryStringParameters ?? {}, 'query');
      const filter = { system: query.system, integration: query.integration === 'none' ? null : query.integration, flow: query.flow, code: query.code };
      const page = await store.list({ status: query.status, limit: query.limit ?? 25, cursor: query.cursor, filter });
      return { body: { items: page.items.map(publicRecord), nextCursor: page.nextCursor } };
    }
    const { id } = parseWith(idPath, event.pathParameters ?? {}, 'path');
    if (event.routeKey === 'GET /v1/errors/{id}') {
      const record = await store.get(id);
      if (!record) throw new NotFoundError(`No error record ${id}: list them with GET /v1/errors.`);
      return { body: { ...(await recordView(record)), recentOccurrences: await store.recentOccurrences(id) } };
    }
    const patch = parseBody(event, errorPatchBody);
    const record = await patchError(store, id, patch, recordedActor(actor));
    log.info('error record updated', { errorId: id, status: record.status, fields: Object.keys(patch) });
    return { body: await recordView(record) };
  },
);
