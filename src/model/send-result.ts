// What a sink answers for one request. The sink only classifies; the SinkRunner owns time (backoff, retries,
// deadlines, dead-letter). Every outcome but `ok` carries a human-readable reason: it goes straight into the
// log line and the dead-letter record.
export type SendResult =
  | { kind: 'ok' }
  /** Transient: the same request may succeed later (429, 5xx, connection refused). `afterMs` from Retry-After. */
  | { kind: 'retry'; reason: string; afterMs?: number }
  /** Permanent: resending the same bytes cannot succeed (mapping error, 400). The batch is dead-lettered. */
  | { kind: 'reject'; reason: string }
  /** The request was too large (HTTP 413): the runner halves the batch and sends both halves. */
  | { kind: 'too_large'; reason: string }
  /** Item-level outcome (OpenSearch `_bulk`, InfluxDB partial write): indices into the batch; others succeeded. */
  | { kind: 'partial'; retry: number[]; reject: Array<{ index: number; reason: string }>; retryAfterMs?: number };
