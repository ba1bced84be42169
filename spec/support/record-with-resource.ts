/**
 * A record as `LogRecordProcessor.onEmit` receives it from the SDK, with a resource of the test's
 * choosing: the 3.x SDK may drop resource attributes it does not accept (bigints), and a header
 * takes the resource of the first record the processor sees.
 */
export function recordWithResource(body: string, resourceAttributes: Record<string, unknown>) {
  return {
    hrTime: [1_700_000_000, 0],
    hrTimeObserved: [1_700_000_000, 0],
    body,
    attributes: {},
    droppedAttributesCount: 0,
    instrumentationScope: { name: 'resource-spec' },
    resource: { attributes: resourceAttributes },
  };
}
