/** The bench's progress, on stderr (stdout carries the results' markdown). */
export const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
