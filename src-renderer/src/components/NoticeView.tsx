import { useEffect } from 'react';
import { explainCode } from '../../../src-engine/facade';
import { useSession } from '../state/window';

/** A refused edit or a file message: at the cursor when it has a position, else as a toast. */
export function NoticeView() {
  const notice = useSession((s) => s.notice);
  const clear = useSession((s) => s.clearNotice);
  useEffect(() => {
    if (!notice || notice.sticky) return;
    // A notice with a button stays long enough to reach it.
    const t = setTimeout(clear, notice.action ? 10_000 : notice.kind === 'error' ? 6000 : 4000);
    return () => clearTimeout(t);
  }, [notice, clear]);
  if (!notice) return null;
  const style = notice.at ? { left: notice.at.x + 14, top: notice.at.y + 14 } : undefined;
  return (
    <div className={`notice notice--${notice.kind}${notice.at ? ' notice--at-cursor' : ''}`} style={style} role="alert" data-testid="notice" data-code={notice.code ?? ''} title={explainCode(notice.code)} onClick={notice.sticky ? undefined : clear}>
      {notice.message}
      {notice.action && (
        <button type="button" className="notice__action" data-testid="notice-action" onClick={notice.action.run}>
          {notice.action.label}
        </button>
      )}
    </div>
  );
}
