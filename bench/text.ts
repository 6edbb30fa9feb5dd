/**
 * Text helpers for the bench's messages.
 */

/** The line that says what went wrong, rather than the stack under it. */
export function firstError(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.find((line) => /^(\w*Error\b|error\b|\[Error)|\bError: /i.test(line)) ?? lines.slice(-3).join(' | ');
}
