/**
 * A data source's mark in Add data…'s workspace list, drawn in SVG (outlined in the colour of the
 * text around it: styles.css): a folder (images or texts by class) or a table (a file). Not a
 * symbol character: Debian's fonts (DejaVu, Liberation) have no 🗀, which Chromium drew as an
 * empty box.
 */
export function DataIcon({ folder }: { folder: boolean }) {
  return (
    <svg className="data-icon" width="12" height="10" viewBox="0 0 12 10" aria-hidden="true" data-icon={folder ? 'folder' : 'table'}>
      {folder ? (
        <path d="M0.6 1.6a1 1 0 0 1 1-1h3l1.2 1.3h4.6a1 1 0 0 1 1 1v5.5a1 1 0 0 1-1 1H1.6a1 1 0 0 1-1-1z" strokeWidth="1.1" />
      ) : (
        <>
          <rect x="0.6" y="0.6" width="10.8" height="8.8" rx="1" strokeWidth="1.1" />
          <path d="M0.6 3.6h10.8M0.6 6.5h10.8M4.2 0.6v8.8M7.8 0.6v8.8" strokeWidth="0.8" />
        </>
      )}
    </svg>
  );
}
