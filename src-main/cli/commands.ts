/**
 * The `netwright` command's subcommands, declared once: the help lists them, the dispatcher runs
 * them. Each loads its module only when run (the engine's CLIs, web mode's host), so
 * `netwright --version` starts in a few milliseconds.
 */
import type { WebBuild } from '../web/run';

/** One subcommand: `netwright <name> …`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Its usage text (`netwright <name> --help`). */
  usage(): Promise<string>;
  /** Run it with the arguments after its name; resolves with the exit code. */
  run(argv: string[]): Promise<number>;
}

/** The subcommands, on the built app in `build` (web mode serves it; the others need only the engine). */
export function netwrightCommands(build: WebBuild): readonly Command[] {
  const train = () => import('../../src-engine/node/train-cli');
  const evaluate = () => import('../../src-engine/node/evaluate-cli');
  const predict = () => import('../../src-engine/node/predict-cli');
  const exporter = () => import('../../src-engine/node/export-cli');
  const importer = () => import('../../src-engine/node/import-cli');
  const runs = () => import('../../src-engine/node/runs-cli');
  const quantizer = () => import('../../src-engine/node/quantize-cli');
  const web = () => import('../web/run');
  // As their scripts do: the CPU kernels with fused multiply-adds where the runtime has relaxed SIMD.
  const withSimd = async () => (await import('../../src-engine/node/cpu')).enableRelaxedSimd();
  return [
    { name: 'web', summary: 'serve the app to your browser on this machine (prints its address)', usage: async () => (await web()).webUsage(), run: async (argv) => (await web()).runWeb(argv, build) },
    { name: 'train', summary: 'train a design or project (--epochs, --lr, --device, --resume, --runs, --export, --find-lr …)', usage: async () => (await train()).usage(), run: async (argv) => (await withSimd(), (await train()).main(argv)) },
    { name: 'evaluate', summary: 'measure a trained model on a dataset split or your own data', usage: async () => (await evaluate()).usage(), run: async (argv) => (await withSimd(), (await evaluate()).main(argv)) },
    { name: 'predict', summary: "a trained model's predictions for images, table rows, arrays or texts (class and probabilities, or values), or a language model's continuation of a prompt", usage: async () => (await predict()).usage(), run: async (argv) => (await withSimd(), (await predict()).main(argv)) },
    { name: 'export', summary: 'export a trained model, or a design before training, marked untrained (ONNX, JSON, safetensors, a PyTorch project)', usage: async () => (await exporter()).usage(), run: async (argv) => (await exporter()).main(argv) },
    { name: 'quantize', summary: 'quantise a trained model to int8 (QDQ ONNX) calibrated on your data, and compare it with float32 (metric, size, speed)', usage: async () => (await quantizer()).usage(), run: async (argv) => (await withSimd(), (await quantizer()).main(argv)) },
    { name: 'import', summary: 'import an ONNX model, or weights (safetensors, a state_dict) into a design, as a project', usage: async () => (await importer()).usage(), run: async (argv) => (await importer()).main(argv) },
    { name: 'runs', summary: "the stored runs, here and elsewhere (--on torchrun:N …): list, show one's target, job id, status and losses, its log, cancel it", usage: async () => (await runs()).usage(), run: async (argv) => (await runs()).main(argv) },
  ];
}

/** What the command prints to, its version, and where its docs are (the package's docs/ folder). */
export interface CommandIo {
  out(s: string): void;
  err(s: string): void;
  version: string;
  docsDir: string;
}

/** `netwright --help`: the subcommands, one a line. */
export function helpText(commands: readonly Command[], { version, docsDir }: Pick<CommandIo, 'version' | 'docsDir'>): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `netwright ${version}: design neural networks on a canvas, train them on your own machine.`,
    '',
    'usage: netwright <command> [options]',
    '       netwright <command> --help     the command\'s options',
    '       netwright --version',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Docs: ${docsDir} (guide/command-line.md: every command; trainer.md: training in depth).`,
    '',
  ].join('\n');
}

/** Run `argv` (the arguments after `netwright`): `--version`, `--help`, or a subcommand; the exit code. */
export async function dispatch(argv: string[], commands: readonly Command[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v') {
    io.out(`${io.version}\n`);
    return 0;
  }
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const named = first === 'help' && rest[0] !== undefined ? commands.find((c) => c.name === rest[0]) : undefined;
    io.out(named ? `${await named.usage()}\n` : helpText(commands, io));
    return first === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.err(`netwright: "${first}" is not a command.\n\n${helpText(commands, io)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${await command.usage()}\n`);
    return 0;
  }
  return command.run(rest);
}
