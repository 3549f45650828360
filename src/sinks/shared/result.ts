// Helpers on SendResult shared by sinks that turn a classified failure into a thrown Error (start, healthcheck,
// housekeeping), where the runner expects an exception whose message is the reason.
import type { SendResult } from '../../model/send-result';

/** The human sentence of a failed result; `fallback` for `ok`/`partial`, which carry none. */
export function reasonOf(r: SendResult, fallback: string): string {
  return 'reason' in r ? r.reason : fallback;
}
