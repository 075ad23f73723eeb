import { TargetSpecError, declareTarget } from './types';

/** The options `slurm:` takes, each with what its value may be (sbatch's own spellings). */
const OPTIONS = {
  partition: /^[A-Za-z0-9_.-]{1,64}$/,
  account: /^[A-Za-z0-9_.-]{1,64}$/,
  nodes: /^[1-9]\d{0,4}$/,
  'gpus-per-node': /^\d{1,3}$/,
  'cpus-per-task': /^[1-9]\d{0,3}$/,
  /** sbatch's `--time`: minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS. */
  time: /^(?:\d{1,6}|\d{1,4}:\d{2}(?::\d{2})?|\d{1,3}-\d{1,2}(?::\d{2}(?::\d{2})?)?)$/,
} as const;

export type SlurmOptions = Partial<Record<keyof typeof OPTIONS, string>>;

/**
 * A Slurm cluster: an sbatch script that runs torchrun under srun with a rendezvous on the first
 * node, submitted with sbatch; its status from squeue/sacct, cancelled with scancel.
 */
export const slurm = declareTarget({
  kind: 'slurm',
  syntax: `slurm[:${Object.keys(OPTIONS).map((k) => `${k}=…`).join(',')}]`,
  doc: 'A Slurm cluster: an sbatch script running torchrun under srun (status from squeue/sacct, cancel with scancel).',
  parse(rest): SlurmOptions {
    const out: SlurmOptions = {};
    if (rest === undefined || rest === '') return out;
    for (const part of rest.split(',')) {
      const eq = part.indexOf('=');
      const key = eq >= 0 ? part.slice(0, eq) : part;
      const value = eq >= 0 ? part.slice(eq + 1) : '';
      if (!Object.hasOwn(OPTIONS, key)) throw new TargetSpecError(`slurm: "${key}" is not an option; it takes ${Object.keys(OPTIONS).join(', ')}`);
      const k = key as keyof typeof OPTIONS;
      if (out[k] !== undefined) throw new TargetSpecError(`slurm: ${k} is given twice`);
      if (!OPTIONS[k].test(value)) throw new TargetSpecError(`slurm: ${k}=${JSON.stringify(value)} is not a value sbatch takes for --${k}`);
      out[k] = value;
    }
    return out;
  },
  format: (o) => {
    const parts = (Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]).filter((k) => o[k] !== undefined).map((k) => `${k}=${o[k]}`);
    return parts.length ? `slurm:${parts.join(',')}` : 'slurm';
  },
});
