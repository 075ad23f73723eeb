import type { RefObject } from 'react';

/** A hidden file input a button opens; its files go to `onFiles` (and it is cleared, so the same choice works twice). */
export function PickerInput({ inputRef, testId, multiple, accept, onFiles }: { inputRef: RefObject<HTMLInputElement | null>; testId: string; multiple?: boolean; accept?: string; onFiles(list: FileList): void }) {
  return (
    <input
      ref={inputRef}
      type="file"
      hidden
      data-testid={testId}
      {...(multiple ? { multiple } : {})}
      {...(accept ? { accept } : {})}
      onChange={(e) => {
        if (e.target.files?.length) onFiles(e.target.files);
        e.target.value = '';
      }}
    />
  );
}
