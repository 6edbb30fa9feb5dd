import { describe, expect, it, vi } from 'vitest';
import { ProcessDefault } from '../../../shared/platform/process-default.js';

describe('Class: ProcessDefault', () => {
  it('creates the value at the first get, not before, and keeps it', () => {
    const create = vi.fn(() => ({ built: true }));
    const value = new ProcessDefault(create);
    expect(create).not.toHaveBeenCalled();
    const first = value.get();
    expect(value.get()).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('answers the value put in place, without creating one', () => {
    const create = vi.fn(() => 'created');
    const value = new ProcessDefault(create);
    value.use('given');
    expect(value.get()).toBe('given');
    expect(create).not.toHaveBeenCalled();
  });

  it('creates a new value after a reset, also in place of one that was given', () => {
    let n = 0;
    const value = new ProcessDefault(() => ++n);
    expect(value.get()).toBe(1);
    value.reset();
    expect(value.get()).toBe(2);
    value.use(10);
    value.reset();
    expect(value.get()).toBe(3);
  });

  it('keeps a created undefined as the value', () => {
    const create = vi.fn((): string | undefined => undefined);
    const value = new ProcessDefault(create);
    value.get();
    value.get();
    expect(create).toHaveBeenCalledTimes(1);
  });
});
