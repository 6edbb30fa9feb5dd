import { afterEach, describe, expect, it } from 'vitest';
import { handler, openApiDocument } from '../../../functions/openapi/handler.js';
import { apiGatewayEvent, lambdaContext } from '../fixtures/api-gateway.js';

const get = async () => (await handler(apiGatewayEvent('GET /openapi.json') as never, lambdaContext)) as { statusCode: number; body: string };

describe('Function: openapi', () => {
  afterEach(() => openApiDocument.reset());

  it('answers the document built at the first request, and the same one afterwards', async () => {
    const first = await get();
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ openapi: '3.1.0' });
    const built = openApiDocument.get();
    await get();
    expect(openApiDocument.get()).toBe(built);
  });

  it('answers a document put in place, and builds a new one after a reset', async () => {
    openApiDocument.use({ openapi: '3.1.0', info: { title: 'given' } });
    expect(JSON.parse((await get()).body)).toEqual({ openapi: '3.1.0', info: { title: 'given' } });
    openApiDocument.reset();
    expect(JSON.parse((await get()).body).info.title).not.toBe('given');
  });

  it('refuses a query parameter', async () => {
    const res = (await handler({ ...apiGatewayEvent('GET /openapi.json'), queryStringParameters: { x: '1' } } as never, lambdaContext)) as { statusCode: number };
    expect(res.statusCode).toBe(400);
  });
});
