import { useEffect, useRef, useState } from 'react';
import { useFiles } from './files-context';
import { PickerInput } from './PickerInput';

/**
 * Web mode's Open picker lists the host's workspace folder only (the browser cannot name a path
 * on the host): this says which folder that is, and the ways to reach a project kept elsewhere —
 * upload a copy (opened unsaved; Save puts it in the workspace), put it in the folder, or start
 * the host on the folder that holds it (`--workspace`), data with `--data-dir`.
 */
export function WorkspaceHelp() {
  const files = useFiles();
  const picker = useRef<HTMLInputElement>(null);
  const [where, setWhere] = useState<{ path: string; dataDir: string | null; command: string } | null>();
  useEffect(() => {
    files.workspace().then(setWhere, () => setWhere(null));
  }, [files]);
  // Opening it closes the picker (the editor's load does); a file that is no project only says why.
  const upload = async (file: File) => void files.openUploaded(await file.text(), file.name);
  return (
    <div className="workspace-help" data-testid="workspace-help">
      <p>
        Netwright in the browser opens the projects in its workspace folder
        {where ? (
          <>
            {' '}
            <code data-testid="workspace-path">{where.path}</code>
          </>
        ) : null}
        , with any <code>.netwright.json</code> you copy there. A project kept elsewhere on this computer:
      </p>
      <ul>
        <li>
          <button type="button" data-testid="open-upload" onClick={() => picker.current?.click()}>
            Upload a project…
          </button>{' '}
          opens a copy of it, unsaved (Save keeps it in the workspace);
        </li>
        <li>
          or start Netwright on the folder that holds it: <code>{where?.command ?? 'netwright web'} --workspace FOLDER</code>. Your data: Train ▸ Add data… uploads it, or <code>--data-dir FOLDER</code>
          {where?.dataDir ? (
            <>
              {' '}
              (now <code>{where.dataDir}</code>)
            </>
          ) : null}{' '}
          lets the app read it in place.
        </li>
      </ul>
      <PickerInput inputRef={picker} testId="open-upload-file" accept=".json" onFiles={(list) => void upload(list[0])} />
    </div>
  );
}
