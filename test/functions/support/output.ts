/**
 * Powertools Logger and Metrics write one JSON document per line, to stdout (and errors to
 * stderr). This records those lines, keeping them out of the jest output, so tests can assert
 * on logs and EMF metrics. Anything that is not a JSON line passes through untouched.
 */
export interface OutputCapture {
  /** Every JSON line written since the last clear(), in order. */
  records(): Record<string, unknown>[];
  clear(): void;
  restore(): void;
}

export function captureOutput(): OutputCapture {
  let captured: Record<string, unknown>[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    return jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const jsonLines = text.split('\n').filter((line) => line.startsWith('{'));
      if (jsonLines.length === 0) return original(chunk, ...(rest as [BufferEncoding]));
      for (const line of jsonLines) captured.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
  });
  return {
    records: () => captured,
    clear: () => {
      captured = [];
    },
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/** The EMF documents that carry `metricName`. */
export function metricRecords(capture: OutputCapture, metricName: string): Record<string, unknown>[] {
  return capture.records().filter((record) => '_aws' in record && metricName in record);
}
