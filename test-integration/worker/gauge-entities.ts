/** The entity file the worker suites share: one gauge per id, a reading that must be an integer (64 bits). */
export const GAUGE_ENTITIES = `
entities:
  - name: Gauge
    table: gauges
    types: ["gauge.*"]
    key: [gauge_id]
    fields:
      gauge_id: { type: string, required: true }
      reading: { type: integer }
`;
