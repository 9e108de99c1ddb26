import { isStormError } from '../errors';
import { parseCommand, USAGE } from './args';
import { proxyCommand } from './proxyCommand';
import { stormCommand } from './stormCommand';

/** The whole CLI as a function of argv: returns the exit status, never throws. */
export async function main(argv: string[]): Promise<number> {
  try {
    const cmd = parseCommand(argv);
    if (cmd.kind === 'help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    if (cmd.kind === 'proxy') return await proxyCommand(cmd);
    return await stormCommand(cmd);
  } catch (e) {
    if (isStormError(e)) {
      process.stderr.write(`lifeline-storm: ${e.message} [${e.code}]\n`);
      if (e.code === 'BAD_OPTION') process.stderr.write('run lifeline-storm --help for usage\n');
      return 1;
    }
    process.stderr.write(`lifeline-storm: unexpected failure: ${e instanceof Error ? e.stack : String(e)}\n`);
    return 1;
  }
}
