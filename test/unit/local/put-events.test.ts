import { describe, it, expect } from 'vitest';
import { Readable } from 'node:stream';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
// @smithy/protocol-http now lives in @smithy/core (its `transport` entry), which the SDK itself uses.
import { HttpResponse, type HttpRequest } from '@smithy/core/transport';
import {
  AMZ_JSON_CONTENT_TYPE,
  parsePutEvents,
  type EventBridgeEvent,
  type PutEventsOptions,
} from '../../../local/put-events.js';

const BUS = 'provisioning';
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const NOW = new Date('2026-03-04T05:06:07.890Z');

function options(): PutEventsOptions {
  let n = 0;
  return { busName: BUS, region: REGION, account: ACCOUNT, now: () => NOW, newId: () => `id-${++n}` };
}

/** A real SDK client whose transport hands the signed request to parsePutEvents. */
function localClient(opts: PutEventsOptions = options()) {
  const accepted: EventBridgeEvent[] = [];
  const requests: HttpRequest[] = [];
  const requestHandler = {
    async handle(request: HttpRequest) {
      requests.push(request);
      const raw: unknown = request.body;
      // The SDK's JSON body is a Uint8Array (its string-method shims warn); decode its bytes.
      const body = typeof raw === 'string' ? raw : new TextDecoder().decode(raw as Uint8Array);
      const result = parsePutEvents(request.headers, body, opts);
      accepted.push(...result.accepted);
      return {
        response: new HttpResponse({
          statusCode: result.status,
          headers: { 'content-type': AMZ_JSON_CONTENT_TYPE },
          body: Readable.from([Buffer.from(JSON.stringify(result.body))]),
        }),
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
  };
  const client = new EventBridgeClient({
    region: REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler,
  });
  return { client, accepted, requests };
}

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  Source: 'commerce',
  DetailType: 'Subscription Created',
  Detail: JSON.stringify({ namespace: 'acme', seats: 5 }),
  EventBusName: BUS,
  ...over,
});

describe('PutEvents through the real EventBridge client', () => {
  it('accepts two good entries, fails the bad one, and keeps entry order', async () => {
    const { client, accepted, requests } = localClient();
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ Time: new Date('2026-01-02T03:04:05Z'), Resources: ['arn:aws:x:::thing'] }),
          entry({ Detail: '{not json' }),
          entry({ Source: 'billing', EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}` }),
        ],
      }),
    );

    expect(requests[0]?.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(requests[0]?.headers['content-type']).toBe(AMZ_JSON_CONTENT_TYPE);
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries).toEqual([
      { EventId: 'id-1' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: 'id-2' },
    ]);
    expect(accepted).toEqual([
      {
        version: '0',
        id: 'id-1',
        'detail-type': 'Subscription Created',
        source: 'commerce',
        account: ACCOUNT,
        time: '2026-01-02T03:04:05Z',
        region: REGION,
        resources: ['arn:aws:x:::thing'],
        detail: { namespace: 'acme', seats: 5 },
      },
      expect.objectContaining({ id: 'id-2', source: 'billing', time: '2026-03-04T05:06:07Z', resources: [] }),
    ]);
  });

  it('rejects more than 10 entries as a whole with a ValidationException', async () => {
    const { client, accepted } = localClient();
    const err = await client
      .send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('less than or equal to 10'),
      $metadata: { httpStatusCode: 400 },
    });
    expect(accepted).toEqual([]);
  });

  it('fails entries naming another bus, or none when the bus is not default', async () => {
    const { client, accepted } = localClient();
    const out = await client.send(
      new PutEventsCommand({
        Entries: [
          entry({ EventBusName: 'other-bus' }),
          entry({ EventBusName: `arn:aws:events:${REGION}:999999999999:event-bus/${BUS}` }),
          entry({ EventBusName: undefined }),
          entry(),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? e.EventId)).toEqual([
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'id-1',
    ]);
    expect(out.Entries?.[0]?.ErrorMessage).toBe('Event bus other-bus does not exist.');
    expect(out.Entries?.[2]?.ErrorMessage).toBe('Event bus default does not exist.');
    expect(accepted).toHaveLength(1);
  });

  it('takes an omitted EventBusName as the default bus', async () => {
    const { client } = localClient({ ...options(), busName: 'default' });
    const out = await client.send(new PutEventsCommand({ Entries: [entry({ EventBusName: undefined })] }));
    expect(out).toMatchObject({ FailedEntryCount: 0, Entries: [{ EventId: 'id-1' }] });
  });
});

describe('parsePutEvents', () => {
  const headers = { 'X-Amz-Target': 'AWSEvents.PutEvents', 'Content-Type': AMZ_JSON_CONTENT_TYPE };
  const call = (entries: unknown[], h: Record<string, string | string[] | undefined> = headers) =>
    parsePutEvents(h, JSON.stringify({ Entries: entries }), options());

  it('answers an unknown operation with UnknownOperationException', () => {
    const result = call([entry()], { 'x-amz-target': 'AWSEvents.PutRule' });
    expect(result).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' }, accepted: [] });
    expect(call([entry()], {}).body).toMatchObject({ __type: 'UnknownOperationException' });
  });

  it('reads the target header case-insensitively, including as an array', () => {
    expect(call([entry()], { 'x-amz-target': ['AWSEvents.PutEvents'] }).status).toBe(200);
  });

  it('answers a body that is not JSON, or not the PutEvents shape, with a 400', () => {
    expect(parsePutEvents(headers, '{', options()).body).toMatchObject({ __type: 'SerializationException' });
    expect(parsePutEvents(headers, '{"Entries":"x"}', options())).toMatchObject({
      status: 400,
      body: { __type: 'ValidationException', message: expect.stringContaining('Entries') },
    });
    expect(call([]).body).toMatchObject({
      __type: 'ValidationException',
      message: expect.stringContaining('greater than or equal to 1'),
    });
  });

  it('accepts exactly 10 entries', () => {
    const result = call(Array.from({ length: 10 }, () => entry()));
    expect(result.status).toBe(200);
    expect(result.accepted).toHaveLength(10);
  });

  it('rejects entries over 256 KB in total, sized as the user guide says', () => {
    const detail = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
    const base = entry();
    const fixed = Buffer.byteLength(`${base.Source}${base.DetailType}`);
    const exactly = entry({ Detail: detail(256 * 1024 - fixed) });
    expect(Buffer.byteLength(exactly.Detail ?? '') + fixed).toBe(256 * 1024);
    expect(call([exactly]).status).toBe(200);
    const over = call([entry({ Detail: detail(256 * 1024 - fixed + 1) })]);
    expect(over).toMatchObject({ status: 400, body: { __type: 'ValidationException' }, accepted: [] });
  });

  it('fails entries lacking Source, DetailType or Detail with InvalidArgument', () => {
    const result = call([
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry(),
    ]);
    expect(result.body).toEqual({
      FailedEntryCount: 3,
      Entries: [
        { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' },
        { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' },
        { EventId: 'id-1' },
      ],
    });
  });

  it('fails a Detail that is JSON but not an object', () => {
    const result = call([entry({ Detail: '[1,2]' }), entry({ Detail: '"text"' }), entry({ Detail: 'null' })]);
    expect(result.body).toMatchObject({ FailedEntryCount: 3 });
    expect(result.accepted).toEqual([]);
  });

  it('uses an ISO Time when given one and fails an unreadable Time', () => {
    const result = call([entry({ Time: '2026-05-06T07:08:09.123Z' as unknown as Date }), entry({ Time: 'soon' as unknown as Date })]);
    expect(result.accepted[0]?.time).toBe('2026-05-06T07:08:09Z');
    expect(result.body).toMatchObject({ FailedEntryCount: 1, Entries: [{ EventId: 'id-1' }, { ErrorCode: 'InvalidArgument' }] });
  });
});
