/**
 * Publishing to the service's EventBridge bus. One client per process; locally its endpoint is the
 * runtime's bus (`AWS_ENDPOINT_URL_EVENTBRIDGE`).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { BUS_NAME, SERVICE_SOURCE } from '../manifest.js';

let client: EventBridgeClient | undefined;
export const eventBridge = (): EventBridgeClient => (client ??= new EventBridgeClient({ maxAttempts: 3 }));

export const busName = (): string => process.env.EVENT_BUS_NAME ?? BUS_NAME;

export interface OutgoingEvent {
  detailType: string;
  detail: unknown;
  /** Correlates the entry with what produced it (a stream sequence number, an event id). */
  id: string;
}

/**
 * Puts events on the bus, ten per call as PutEvents allows, and answers the ids of the entries
 * the bus did not accept, so the caller can retry exactly those.
 */
export async function publish(events: readonly OutgoingEvent[], source = SERVICE_SOURCE): Promise<string[]> {
  const failed: string[] = [];
  for (let i = 0; i < events.length; i += 10) {
    const chunk = events.slice(i, i + 10);
    const entries: PutEventsRequestEntry[] = chunk.map((e) => ({
      EventBusName: busName(),
      Source: source,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
    }));
    try {
      const out = await eventBridge().send(new PutEventsCommand({ Entries: entries }));
      out.Entries?.forEach((entry, index) => {
        if (entry.ErrorCode) failed.push(chunk[index]!.id);
      });
    } catch {
      failed.push(...chunk.map((e) => e.id));
    }
  }
  return failed;
}
