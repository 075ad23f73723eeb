import { TARGETS } from '../../../../src-engine/facade';
import { checkWhere, paramsHint, type WhereChoice } from '../../training/where';

/**
 * "Where" the run trains: the registry's targets (catalog/targets, `local` first and the default),
 * and for one that takes parameters a field for them (`N` for torchrun, `[user@]host[:dir]` for
 * ssh, sbatch's options for slurm), read by the registry's own parser as it is typed.
 */
export function WhereField({ choice, disabled, onChange }: { choice: WhereChoice; disabled: boolean; onChange: (choice: WhereChoice) => void }) {
  const hint = paramsHint(choice.kind);
  const checked = checkWhere(choice);
  const declared = TARGETS.find((t) => t.kind === choice.kind);
  return (
    <div className="train-where" data-testid="train-where-field">
      <label className="train-field" title={`Where the run trains. ${declared?.doc ?? ''} Runs elsewhere are listed in Runs with their target and job id.`}>
        <span>Where</span>
        <select data-testid="train-where" value={choice.kind} disabled={disabled} onChange={(e) => onChange({ ...choice, kind: e.target.value as WhereChoice['kind'] })}>
          {TARGETS.map((t) => (
            <option key={t.kind} value={t.kind} title={t.doc}>
              {t.kind}
            </option>
          ))}
        </select>
      </label>
      {hint !== undefined ? (
        <input
          className="train-where__params"
          data-testid="train-where-params"
          aria-label={`${choice.kind} options`}
          aria-invalid={'error' in checked}
          placeholder={hint}
          title={`${declared?.syntax ?? choice.kind}`}
          value={choice.params[choice.kind] ?? ''}
          disabled={disabled}
          spellCheck={false}
          onChange={(e) => onChange({ ...choice, params: { ...choice.params, [choice.kind]: e.target.value } })}
        />
      ) : null}
      {'error' in checked ? (
        <div className="field__error" role="alert" data-testid="train-where-error">
          {checked.error}
        </div>
      ) : null}
    </div>
  );
}
