import type { RunMeta } from './compare';

/**
 * Whether a stored run is the open project's: by the project's id where the run recorded one (its
 * runs stay its own through Save As and renames, and a project that took another's name does not
 * take its runs); by name for runs recorded before projects had ids.
 */
export function isProjectRun(run: Pick<RunMeta, 'project' | 'projectId'>, project: { name: string; projectId: string }): boolean {
  return run.projectId !== undefined ? run.projectId === project.projectId : run.project === project.name;
}

/**
 * What the Curves tab says of loaded weights that brought no curves (#82 (8)): "trained elsewhere"
 * only when it is so. Weights saved with a project name the stored run they came from
 * (`origin.runId`); when that run is in this run store (`run`), its curves are there, in the Runs
 * tab — this project's run, or another project's.
 */
export function loadedWeightsNote(source: string, run: Pick<RunMeta, 'name' | 'project' | 'projectId'> | undefined, project: { name: string; projectId: string }): string {
  if (!run) return `The weights from ${source} were trained elsewhere: no curves come with them. A run started here plots its own.`;
  const whose = isProjectRun(run, project) ? 'of this project' : `of “${run.project ?? 'another project'}”`;
  return `The weights from ${source} were trained here, in the run “${run.name}” ${whose}: its curves are in the Runs tab. A run started here plots its own.`;
}
