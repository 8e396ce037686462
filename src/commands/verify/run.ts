import type { VerifyOptions } from './options.js';
import { resolveIstioRelease } from '../../istio/resolve.js';
import { istioNamespaceOf, checkOutput, checkRevision, parseDuration, type GlobalOptions } from '../../cli/options.js';
import { createKubeGateway, type KubeGateway } from '../../adapters/kube.js';
import { runProcess } from '../../adapters/process.js';
import type { Runner } from '../../adapters/tool-run.js';
import { CliError, ExitCode, usageError } from '../../errors.js';
import { outputStyle } from '../../report/style.js';
import { plain, verifyJson, verifyJunit, verifyText, type Paint } from '../../report/verify-output.js';
import { istioctlVersion } from '../../adapters/tools.js';
import { IstioctlMemo } from '../../adapters/istioctl-memo.js';
import { runAnalyze } from '../../verify/analyze.js';
import { analyzeEnv } from '../../adapters/go-env.js';
import { gatherFacts } from '../../verify/facts.js';
import { buildReport, unreachableReport, type Selection } from '../../verify/report.js';
import { readsFor } from '../../verify/selection.js';
import { CHECK_IDS } from '../../verify/catalog.js';
import { verifyClusterRoles } from '../../verify/reads.js';
import { CATEGORIES, type AnalyzeOutcome, type VerifyReport } from '../../verify/types.js';
import { openChangeFeed } from '../../verify/wait.js';

export async function verify(
  globals: GlobalOptions,
  options: VerifyOptions,
  deps: { kube?: KubeGateway; run?: Runner } = {},
): Promise<number> {
  if (options.printRole) {
    process.stdout.write(verifyClusterRoles());
    return ExitCode.ok;
  }
  const output = checkOutput(globals.output, ['text', 'json', 'junit'], 'verify');
  const ns = istioNamespaceOf(globals);
  for (const c of options.only)
    if (!(CATEGORIES as readonly string[]).includes(c))
      throw usageError(`--only ${c}: unknown category`, `categories: ${CATEGORIES.join(', ')}`);
  for (const c of options.skip)
    if (!(CATEGORIES as readonly string[]).includes(c) && !CHECK_IDS.includes(c))
      throw usageError(`--skip ${c}: unknown category or check id`, `categories: ${CATEGORIES.join(', ')}; check ids are listed in README`);
  const { istioctl, release } = resolveIstioRelease(options);
  options.istioctl = istioctl;
  const waitSeconds = options.wait ? parseDuration(options.wait, '--wait') : 0;
  const revision = options.revision === undefined ? '' : checkRevision(options.revision);
  const selection: Selection = { only: options.only, skip: options.skip, strict: Boolean(options.strict) };
  const target = { kubeconfig: globals.kubeconfig, context: globals.context };
  const run = deps.run ?? runProcess;
  const wantsAnalyze =
    !options.skipAnalyze &&
    !selection.skip.includes('config') &&
    !selection.skip.includes('config-analyze') &&
    (!selection.only.length || selection.only.includes('config'));
  const started = Date.now();
  // analyze (a process of its own, the slowest part) runs over every namespace, as
  // `istioctl analyze -A`: Istio config in any namespace is the mesh's. Needing nothing verify
  // reads, the first one starts before the first request, beside all of them. (Loading the
  // Kubernetes client only after it started measured no faster: 1.04x, farm-bench.)
  const analyze = (): Promise<AnalyzeOutcome> =>
    wantsAnalyze
      ? runAnalyze(run, istioctl, target, { env: analyzeEnv() })
      : Promise.resolve({ status: 'skipped', reason: options.skipAnalyze ? '--skip-analyze' : 'not selected' });
  const firstAnalyze = analyze();
  const kube = deps.kube ?? (await createKubeGateway(target));
  const deadline = started + waitSeconds * 1000;

  // The version of istioctl, asked once beside the first reads (a cached release knows its own).
  const istioctlVersionOnce = wantsAnalyze
    ? release && istioctl === release.istioctl
      ? Promise.resolve(release.version)
      : istioctlVersion(run, istioctl, new IstioctlMemo()).catch(() => undefined)
    : Promise.resolve(undefined);
  // Only what the selected checks stand on is read: `--only control-plane` lists no data-plane pods.
  const reads = readsFor(selection);
  const once = async (analyzed: Promise<AnalyzeOutcome>): Promise<VerifyReport> => {
    const facts = await gatherFacts(kube, ns, revision, reads);
    facts.istioctlVersion = await istioctlVersionOnce;
    facts.analyze = await analyzed;
    return buildReport(facts, selection, { durationMs: Date.now() - started, apiRequests: kube.requests });
  };

  let feed: Awaited<ReturnType<typeof openChangeFeed>> | undefined;
  let report: VerifyReport;
  try {
    try {
      feed = waitSeconds ? await openChangeFeed(kube, ns, waitSeconds) : undefined;
      report = await once(firstAnalyze);
    } catch (error) {
      // Exit 4 all the same, with the one-line error on stderr; a machine-readable output still
      // gets its document (kubernetes-api failing with the cause), as a test report needs one.
      if (error instanceof CliError && error.exitCode === ExitCode.unreachable && output !== 'text') {
        const meta = { durationMs: Date.now() - started, apiRequests: kube.requests, context: kube.context, istioNamespace: ns };
        process.stdout.write(formatReport(unreachableReport(error, selection, meta), output, plain));
      }
      throw error;
    }
    while (feed && !report.success && Date.now() < deadline) {
      if (output === 'text')
        process.stderr.write(
          `waiting for the mesh to become healthy (${report.summary.fail} failing, ${report.summary.unknown} unknown, ` +
            `${Math.ceil((deadline - Date.now()) / 1000)}s left)...\n`,
        );
      if (!(await feed.next(deadline - Date.now()))) break;
      // The API server going away mid-wait (a restart) is waited out until the deadline; past it, exit 4.
      for (;;) {
        try {
          report = await once(analyze());
          break;
        } catch (error) {
          if (!(error instanceof CliError && error.exitCode === ExitCode.unreachable) || Date.now() >= deadline) throw error;
          if (output === 'text') process.stderr.write(`lost the API server (${error.message}); waiting...\n`);
          await new Promise((resolve) => setTimeout(resolve, Math.min(2000, deadline - Date.now())));
        }
      }
    }
  } finally {
    feed?.close();
  }

  let paint: Paint = plain;
  if (output === 'text' && outputStyle({ color: globals.color }, process.stdout).color) {
    const { default: chalk } = await import('chalk');
    paint = { green: chalk.green, yellow: chalk.yellow, red: chalk.red, dim: chalk.dim, bold: chalk.bold };
  }
  process.stdout.write(formatReport(report, output, paint));
  return report.success ? ExitCode.ok : ExitCode.verifyFailed;
}

function formatReport(report: VerifyReport, output: string, paint: Paint): string {
  return output === 'json' ? verifyJson(report) : output === 'junit' ? verifyJunit(report) : verifyText(report, paint);
}
