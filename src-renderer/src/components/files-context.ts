import { createContext, useContext } from 'react';
import type { ProjectFiles } from '../editor/files';

/** The app's file commands (one ProjectFiles per app, over the host). */
export const FilesContext = createContext<ProjectFiles | undefined>(undefined);

export function useFiles(): ProjectFiles {
  const files = useContext(FilesContext);
  if (!files) throw new Error('Netwright: FilesContext is missing (App provides it).');
  return files;
}
