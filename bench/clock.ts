/**
 * One clock for the bench's processes: epoch milliseconds with sub-millisecond precision, so a time
 * taken in the runtime's process (a change on the bus) can be subtracted from one taken in the
 * bench's (the PutEvents call) on the same machine.
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();
