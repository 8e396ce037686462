import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { meshCacheDir } from '../istio/cache.js';

/**
 * Answers a program gave before, kept in `<cache>/<name>/` so that a re-run does not ask again.
 * Only for questions whose answer is a pure function of the binary and the question: keys cover
 * the binary's path, size and modification time (known before it runs) and the question.
 */
export class ToolMemo {
  private readonly dir: string;
  constructor(name: string, env: NodeJS.ProcessEnv) {
    this.dir = join(meshCacheDir(env), name);
  }

  /** The version this binary gave before (its `version` command's answer). */
  version(tool: string): string | undefined {
    return this.read(this.key(tool, 'version')) || undefined;
  }

  /** The version this binary gave before, else what `ask` gets from it (remembered when it said). */
  async versionOf(tool: string, ask: () => Promise<string | undefined>): Promise<string | undefined> {
    const known = this.version(tool);
    if (known) return known;
    const asked = await ask();
    if (asked) this.write(this.key(tool, 'version'), asked);
    return asked;
  }

  protected key(tool: string, what: string): string | undefined {
    const path = locate(tool);
    if (!path) return undefined;
    const s = statSync(path);
    return createHash('sha256').update(`${path}\0${s.size}:${s.mtimeMs}\0${what}`).digest('hex');
  }

  protected read(key: string | undefined): string | undefined {
    if (!key || !existsSync(join(this.dir, key))) return undefined;
    return readFileSync(join(this.dir, key), 'utf8');
  }

  protected write(key: string | undefined, text: string): void {
    if (!key) return;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(this.dir, key), text, { mode: 0o600 });
    } catch {
      // a read-only cache only costs the next run the question again
    }
  }
}

/** The file a command name runs: a path as given, else the first match on the PATH. */
function locate(command: string): string | undefined {
  const candidates = command.includes('/')
    ? [isAbsolute(command) ? command : resolve(command)]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, command));
  return candidates.find((file) => {
    try {
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}
