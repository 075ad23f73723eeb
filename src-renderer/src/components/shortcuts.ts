/** The keyboard shortcuts, as the help overlay lists them and App binds them. `Mod` = Ctrl, or ⌘ on macOS. */
export const SHORTCUTS: readonly { keys: string; action: string }[] = [
  { keys: 'Mod+Z', action: 'Undo' },
  { keys: 'Mod+Shift+Z / Mod+Y', action: 'Redo' },
  { keys: 'Mod+C / Mod+V', action: 'Copy / paste nodes' },
  { keys: 'Mod+D', action: 'Duplicate selection' },
  { keys: 'Delete / Backspace', action: 'Delete selection' },
  { keys: 'Mod+A', action: 'Select all' },
  { keys: 'Shift+drag', action: 'Box select' },
  { keys: 'Mod+click', action: 'Add to selection' },
  { keys: 'Double-click canvas', action: 'Search and add an op' },
  { keys: 'Mod+N', action: 'New project' },
  { keys: 'Mod+O', action: 'Open…' },
  { keys: 'Mod+S / Mod+Shift+S', action: 'Save / Save As…' },
  { keys: 'Shift+L', action: 'Auto-layout' },
  { keys: 'Shift+F', action: 'Zoom to fit' },
  { keys: '?', action: 'This help' },
  { keys: 'Escape', action: 'Close dialogs' },
];
