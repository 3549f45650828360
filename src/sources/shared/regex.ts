// Name filters as operators write them in YAML: a regex that must match the whole name, as in Prometheus
// relabelling, so `flink_jobmanager_.*` cannot also match `xflink_jobmanager_…`.
import { z } from 'zod';

/** Anchors a user regex so it must match the whole text. */
export function fullMatch(re: string): RegExp {
  return new RegExp(`^(?:${re})$`);
}

/** A config string that must compile as a regular expression; the error says so at load time, not at first use. */
export function regexString() {
  return z.string().refine((re) => {
    try {
      new RegExp(re);
      return true;
    } catch {
      return false;
    }
  }, 'not a valid regular expression');
}
