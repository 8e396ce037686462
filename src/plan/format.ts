import { sha256 } from './install.js';
import type { Plan, PlanStep } from './types.js';

/**
 * The plan as JSON: rendered files are summarised by size and hash (print them with `mesh render`);
 * `extra` adds fields after the plan's own (what `--dry-run=server` read).
 */
export function planToJson(plan: Plan, extra: Record<string, unknown> = {}): string {
  const files = Object.fromEntries(
    Object.entries(plan.files).map(([name, text]) => [name, { bytes: Buffer.byteLength(text), sha256: sha256(text) }]),
  );
  return `${JSON.stringify({ ...plan, files, ...extra }, null, 2)}\n`;
}

const quote = (arg: string): string => (/^[\w@%+=:,./<>-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`);

function stepDetail(step: PlanStep): string[] {
  switch (step.id) {
    case 'preflight':
      return [`checks: ${step.checks.join(', ')}`];
    case 'apply':
      return [
        `$ ${[step.tool, ...step.argv].map(quote).join(' ')}`,
        ...(step.heldAtPrompt ? ['started at preflight, where it checks the spec; its "Proceed? (y/N)" answered yes here'] : []),
      ];
    case 'wait':
      return [...step.for.map((w) => `- ${w}`), `timeout: ${step.timeoutSeconds}s`];
    case 'label':
      return [...Object.entries(step.set ?? {}).map(([k, v]) => `set ${k}=${v}`), ...(step.remove ?? []).map((k) => `remove ${k}`)];
    case 'delete':
      return step.what.map((w) => `- ${w}`);
    case 'namespace':
      return [`namespace ${step.namespace}`];
    case 'record':
      return [`${step.action} ConfigMap ${step.configMap}`];
    case 'lock':
      return [`Lease ${step.lease}, renewed until the change is done`];
    case 'adopt-crds':
      return [`annotate meta.helm.sh/release-name=${step.release}, release-namespace=${step.namespace}; label managed-by=Helm`];
    case 'default-revision':
      return [`$ ${['helm', ...step.argv].map(quote).join(' ')}`];
    case 'tag':
      return [`$ istioctl tag set ${step.tag} --revision ${step.revision} --overwrite (if it still points at ${step.onlyFrom})`];
  }
}

/** The plan as text, ending with what the dry run did (`--dry-run=server` says its checks passed). */
export function planToText(plan: Plan, outcome = 'dry run: nothing was changed'): string {
  const what = plan.kind === 'InstallPlan' ? 'Install' : 'Uninstall';
  const extras = `${plan.revision ? `, revision ${plan.revision}` : ''}${plan.context ? `, context ${plan.context}` : ''}`;
  const head = `${what} plan: profile ${plan.profile}, backend ${plan.backend}, namespace ${plan.istioNamespace}${extras}`;
  const lines = [head, ''];
  plan.steps.forEach((step, i) => {
    lines.push(`${i + 1}. [${step.id}] ${step.description}`);
    for (const detail of stepDetail(step)) lines.push(`     ${detail}`);
  });
  const names = Object.keys(plan.files);
  if (names.length) lines.push('', `rendered files (written 0600 to a private temp dir, removed after): ${names.join(', ')}`);
  lines.push('', outcome);
  return `${lines.join('\n')}\n`;
}
