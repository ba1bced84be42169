/** OpenTelemetry severity numbers (1–24, six ranges of four) ↔ the short names the viewer shows. */

/** The ranges' names, from TRACE (1–4) to FATAL (21–24). */
export const SEVERITY_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type SeverityName = (typeof SEVERITY_NAMES)[number];

/** The lowest number of ERROR: `--around first-error` and the viewer's error jumps start here. */
export const ERROR_SEVERITY = 17;

/** The range a severity number falls in, or undefined for 0 (unspecified) and out-of-range numbers. */
export function severityRange(severityNumber: number): SeverityName | undefined {
  return severityNumber >= 1 && severityNumber <= 24 ? SEVERITY_NAMES[Math.floor((severityNumber - 1) / 4)] : undefined;
}

/**
 * The name shown for a record: the range name with the step inside it (`INFO2` for 10, as the
 * OpenTelemetry data model names them), else the record's own severity text, else `-`.
 */
export function severityLabel(severityNumber: number, severityText: string | undefined): string {
  const range = severityRange(severityNumber);
  if (range === undefined) return severityText || '-';
  const step = (severityNumber - 1) % 4;
  return step === 0 ? range : `${range}${step + 1}`;
}
