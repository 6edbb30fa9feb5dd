/**
 * A namespace's log kept in memory, written exactly as the DynamoDB store writes it (the head, the
 * command's entry, the entries folded again, the log's bounds), so the property tests run the
 * executor's own `receive` over thousands of deliveries in milliseconds.
 */
import { floorOf } from '../../../shared/lifecycle/domain/log.js';
import type { LogEntry } from '../../../shared/lifecycle/domain/log.js';
import { emptyState } from '../../../shared/lifecycle/domain/rules.js';
import type { FoldState, LifecycleCommand } from '../../../shared/lifecycle/domain/types.js';
import { receive } from '../../../shared/lifecycle/receive.js';
import type { LogHead, LogSlice, Receipt } from '../../../shared/lifecycle/receive.js';

export class MemoryLog {
  readonly entries = new Map<string, LogEntry>();
  head: LogHead;
  /** Entries read by late commands (the cost of a late arrival). */
  reads = 0;

  constructor(namespaceId: number, start?: { state: FoldState; baseKey: string }) {
    this.head = { state: start?.state ?? emptyState(namespaceId), lastKey: start?.baseKey ?? null, baseKey: start?.baseKey ?? null };
    if (start) this.entries.set(start.baseKey, { key: start.baseKey, command: null, state: start.state, rejection: null });
  }

  readonly readSlice = async (key: string, maxAfter: number): Promise<LogSlice> => {
    const keys = [...this.entries.keys()].sort();
    const beforeKey = keys.filter((k) => k < key).at(-1);
    const afterKeys = keys.filter((k) => k > key);
    this.reads += afterKeys.length + (beforeKey ? 1 : 0);
    return {
      before: beforeKey ? this.entries.get(beforeKey)! : null,
      at: this.entries.get(key) ?? null,
      after: afterKeys.slice(0, maxAfter).map((k) => this.entries.get(k)!),
      truncated: afterKeys.length > maxAfter,
    };
  };

  /** Receives one command and writes what the receipt says, as the store's transaction does. */
  async deliver(command: LifecycleCommand): Promise<Receipt> {
    const receipt = await receive(this.head, command, this.readSlice);
    if (receipt.kind !== 'folded') return receipt;
    const { fold } = receipt;
    // A created refused because the namespace holds another subscription concerns that other
    // subscription: it is answered, not kept.
    if (fold.entry.rejection?.code === 'namespace_has_subscription') return receipt;
    this.entries.set(fold.entry.key, fold.entry);
    for (const entry of fold.rewritten) this.entries.set(entry.key, entry);
    this.head = {
      state: { ...fold.head, version: this.head.state.version + 1 },
      lastKey: receipt.lastKey,
      baseKey: this.head.baseKey,
    };
    return receipt;
  }

  /** Drops what is older than the log keeps, as the stream's pruning does. */
  prune(): number {
    const floor = floorOf(this.head.state, this.head.baseKey);
    let pruned = 0;
    if (floor === null) return pruned;
    for (const key of [...this.entries.keys()]) if (key < floor && this.entries.delete(key)) pruned++;
    return pruned;
  }
}
