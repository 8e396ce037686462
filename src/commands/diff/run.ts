import { checkOutput, type GlobalOptions } from '../../cli/options.js';
import { CliError, ExitCode } from '../../errors.js';
import { createKubeGateway } from '../../adapters/kube.js';
import { runProcess } from '../../adapters/process.js';
import { readRecord, serverVersion } from '../../install/cluster.js';
import { compareWithCluster } from '../../diff/compare.js';
import { renderPlanManifests, renderRecordedManifests } from '../../diff/render-manifests.js';
import { diffLines, hasDifferences, summarize, summaryLine } from '../../diff/format.js';
import type { DiffOptions } from './options.js';
import { planFromFlags } from '../install/plan-from-flags.js';

/** Exit statuses of `mesh diff`, as kubectl diff's: differences are not a failure, and not 0. */
const DIFFERENCES = 1;

/**
 * `mesh diff`: what `mesh install` with the same flags would change. The installer renders
 * (istioctl manifest generate, helm template), the API server judges (server-side dry-run apply),
 * and the recorded install says what the new render drops. Nothing is written.
 */
export async function diff(globals: GlobalOptions, options: DiffOptions): Promise<number> {
  const output = checkOutput(globals.output, ['text', 'json'], 'diff');
  const { plan, contents, target, istioctl } = planFromFlags(globals, options, { injectNamespaces: [], timeoutSeconds: 0 });
  const kube = await createKubeGateway(target);
  const tools = { run: runProcess, istioctl, helm: options.helm };
  try {
    const [version, { record }] = await Promise.all([serverVersion(kube), readRecord(kube, contents.istioNamespace, contents.revision)]);
    const [desired, previous] = await Promise.all([
      renderPlanManifests(plan, tools, version.gitVersion),
      record ? renderRecordedManifests(record, tools, target) : Promise.resolve(undefined),
    ]);
    const diffs = await compareWithCluster(kube, desired, previous);
    const summary = summarize(diffs);
    const differences = hasDifferences(summary);
    if (output === 'json')
      process.stdout.write(
        `${JSON.stringify(
          {
            schemaVersion: 1,
            kind: 'MeshDiff',
            context: kube.context,
            backend: plan.backend,
            profile: plan.profile,
            istioNamespace: plan.istioNamespace,
            // Without a record mesh cannot tell which live objects an earlier install made.
            comparedWithRecord: Boolean(previous),
            differences,
            summary,
            objects: diffs.filter((d) => d.action !== 'unchanged'),
          },
          null,
          2,
        )}\n`,
      );
    else {
      const lines = diffLines(diffs);
      if (!previous)
        lines.push(`(no mesh install record in ${plan.istioNamespace}: objects an earlier install made and this one drops are not listed)`);
      lines.push(summaryLine(summary));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    if (summary.unknown) return ExitCode.preflight;
    return differences ? DIFFERENCES : ExitCode.ok;
  } catch (error) {
    // 1 means "differences" here: a failure must not be read as one.
    if (error instanceof CliError && error.exitCode === ExitCode.unexpected)
      throw new CliError(error.message, ExitCode.preflight, error.hint);
    throw error;
  }
}
