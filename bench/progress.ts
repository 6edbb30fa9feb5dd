/**
 * What the bench is doing, as it does it: one line rewritten in place on a terminal; on a pipe or a
 * file, a plain line when each step starts and ends (no carriage returns in logs).
 */
export class Progress {
  private step = '';
  private started = 0;
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.tty = Boolean(out.isTTY);
  }

  /** Starts a step; on a pipe this prints one line. */
  start(step: string): void {
    this.clear();
    this.step = step;
    this.started = Date.now();
    if (this.tty) this.draw('');
    else this.out.write(`… ${step}\n`);
  }

  /** The step's current state (a terminal only; at most ten redraws a second). */
  update(detail: string): void {
    if (!this.tty || Date.now() - this.lastDraw < 100) return;
    this.draw(detail);
  }

  /** Ends the step with a one-line summary. */
  done(summary: string): void {
    this.clear();
    this.out.write(`✓ ${this.step}: ${summary} (${this.elapsed()})\n`);
    this.step = '';
  }

  fail(message: string): void {
    this.clear();
    this.out.write(`✗ ${this.step}: ${message} (${this.elapsed()})\n`);
    this.step = '';
  }

  /** A line of its own, outside any step. */
  note(message: string): void {
    this.clear();
    this.out.write(`${message}\n`);
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)} s`;
  }

  private draw(detail: string): void {
    this.lastDraw = Date.now();
    const text = `… ${this.step} [${this.elapsed()}]${detail ? ` ${detail}` : ''}`;
    const width = this.out.columns ? this.out.columns - 1 : 120;
    this.out.write(`\r\x1b[2K${text.slice(0, width)}`);
  }

  private clear(): void {
    if (this.tty && this.step) this.out.write('\r\x1b[2K');
  }
}
