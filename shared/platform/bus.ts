/**
 * Publishing to the service's EventBridge bus. One client per process; locally its endpoint is the
 * runtime's bus (`AWS_ENDPOINT_URL_EVENTBRIDGE`).
 */
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
// The constants only: the whole manifest would put every function's spec in every bundle.
import { BUS_NAME, SERVICE_SOURCE } from './manifest-types.js';

// The EventBridge SDK loads on the first publish, not at cold start: most functions that import
// this module publish only when a request fails (Provisioning Failed), and loading a second SDK
// client at init costs tens of milliseconds (npm run bench, "init").
let sdk: Promise<typeof import('@aws-sdk/client-eventbridge')> | undefined;
let client: EventBridgeClient | undefined;
const eventBridgeSdk = () => (sdk ??= import('@aws-sdk/client-eventbridge'));
export const eventBridge = async (): Promise<EventBridgeClient> => {
  const { EventBridgeClient } = await eventBridgeSdk();
  return (client ??= new EventBridgeClient({ maxAttempts: 3 }));
};

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
      const { PutEventsCommand } = await eventBridgeSdk();
      const out = await (await eventBridge()).send(new PutEventsCommand({ Entries: entries }));
      out.Entries?.forEach((entry, index) => {
        if (entry.ErrorCode) failed.push(chunk[index]!.id);
      });
    } catch {
      failed.push(...chunk.map((e) => e.id));
    }
  }
  return failed;
}
