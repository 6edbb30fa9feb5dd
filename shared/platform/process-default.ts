/**
 * One value per process, created at its first use: a job's or a handler's default dependencies, a
 * document built once. Kept in an object rather than a module variable so that a test (or the
 * local runtime) can put its own in place or forget it; a warm Lambda keeps it across invocations.
 *
 * @example
 * export const writerDeps = new ProcessDefault(() => defaultWriterDeps(new SlackNotifier()));
 * export const handler = (event: unknown) => recordFailure(event, writerDeps.get());
 * // in a test:
 * writerDeps.use(fakeDeps);
 * afterEach(() => writerDeps.reset());
 */
export class ProcessDefault<T> {
  private current: { value: T } | undefined;

  constructor(private readonly create: () => T) {}

  /** The value: the one put in place, else the one created at the first call. */
  get(): T {
    this.current ??= { value: this.create() };
    return this.current.value;
  }

  /** Puts `value` in place of the default until the next `use` or `reset`. */
  use(value: T): void {
    this.current = { value };
  }

  /** Forgets the value: the next `get` creates a new one. */
  reset(): void {
    this.current = undefined;
  }
}
