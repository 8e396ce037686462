import { usageError } from '../errors.js';

/** Flags every command accepts, kubectl style. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  /** As passed with -n; commands that need one default to DEFAULT_ISTIO_NAMESPACE. */
  istioNamespace?: string;
  output?: string;
  verbose?: boolean;
  color?: boolean;
}

export const DEFAULT_ISTIO_NAMESPACE = 'istio-system';

/** The Istio namespace a command that reads the cluster looks in: -n, else istio-system. */
export const istioNamespaceOf = (globals: GlobalOptions): string =>
  checkNamespace(globals.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE, '--istio-namespace');

/** commander collector for repeatable flags (-f a -f b, --set x --set y). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Parses kubectl-style durations: 300, 90s, 5m, 1h30m. Returns seconds. */
export function parseDuration(text: string, flag: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
  if (!match || text === '') throw usageError(`${flag} ${text}: not a duration`, 'use e.g. 90s, 5m or 1h');
  const [, h = '0', m = '0', s = '0'] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

export function checkOutput(output: string | undefined, allowed: string[], command: string): string {
  const value = output ?? allowed[0];
  if (!allowed.includes(value)) throw usageError(`-o ${value}: ${command} cannot print that format`, `use one of: ${allowed.join(', ')}`);
  return value;
}

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export function checkNamespace(name: string, flag: string): string {
  if (!DNS1123.test(name) || name.length > 63)
    throw usageError(`${flag} ${name}: not a valid namespace name`, 'use lower-case letters, digits and -');
  return name;
}

/** A revision is part of object names (istiod-<rev>) and label values: DNS-1123, so no dots. */
export function checkRevision(revision: string, flag = '--revision'): string {
  if (revision === 'default') return '';
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(revision) && revision.length <= 56) return revision;
  const suggestion = revision
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  // A tag is a positional argument: its message names it as one, not as a flag.
  const what = flag === 'tag' ? `tag ${revision}: not a valid tag` : `${flag} ${revision}: not a valid revision`;
  const example = flag === 'tag' ? 'mesh tag set' : flag;
  throw usageError(
    `${what} (lower-case letters, digits and '-', at most 56 characters)`,
    suggestion ? `e.g. ${example} ${suggestion}` : flag === 'tag' ? 'e.g. prod-stable' : 'e.g. --revision canary or --revision 1-31-0',
  );
}
