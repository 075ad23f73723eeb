import { useCallback, useEffect, useRef, useState } from 'react';
import { nextAction, type ErrorCode } from '../../../src-engine/facade';

/**
 * The camera ("Take photos…" in Add data…, the Playground's Camera source): getUserMedia for
 * video only, asked when the user clicks (never on load), refused with a coded message, and the
 * track stopped when the view using it goes away or the page is hidden (no camera left on).
 * Electron grants `media` to the app's own page for video alone (src-main/host/electron-policy.ts).
 */

/** Why the camera did not start, as the user reads it: a code of src-engine/base/errors.ts and a message. */
export interface CameraError {
  code: ErrorCode;
  message: string;
}

/** A getUserMedia failure (a DOMException by name) as a coded message; nothing else changes. */
export function cameraError(err: unknown): CameraError {
  const name = (err as { name?: unknown } | null)?.name;
  const code: ErrorCode = name === 'NotAllowedError' || name === 'SecurityError' ? 'E_CAMERA_DENIED' : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'E_CAMERA_NOT_FOUND' : 'E_CAMERA_FAILED';
  const what = code === 'E_CAMERA_DENIED' ? 'The camera was not allowed' : code === 'E_CAMERA_NOT_FOUND' ? 'No camera was found' : `The camera could not start${err instanceof Error && err.message ? ` (${err.message})` : ''}`;
  return { code, message: `${what}; nothing was changed. ${nextAction(code) ?? ''}`.trim() };
}

/** Ask for the camera (video only). Rejects with a {@link CameraError}. */
export async function openCamera(media: Pick<MediaDevices, 'getUserMedia'> | undefined = globalThis.navigator?.mediaDevices): Promise<MediaStream> {
  if (!media?.getUserMedia) throw cameraError({ name: 'NotFoundError' });
  try {
    return await media.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (e) {
    throw cameraError(e);
  }
}

/** The video's current frame, scaled so its longer side is at most `maxSide`, as PNG or JPEG bytes. */
export async function grabFrame(video: HTMLVideoElement, type: 'png' | 'jpg', maxSide = 320): Promise<Blob> {
  // Playing is not showing: the first frame can come after play() resolves (a loaded machine), and
  // a frame drawn before it is an empty 1×1 picture — fed to the network as a black image.
  if (video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA || video.videoWidth === 0) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('The camera sent no picture within 5 seconds.')), 5000);
      video.addEventListener('loadeddata', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
  const scale = Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight, 1));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(video.videoWidth * scale));
  c.height = Math.max(1, Math.round(video.videoHeight * scale));
  c.getContext('2d')?.drawImage(video, 0, 0, c.width, c.height);
  const blob = await new Promise<Blob | null>((resolve) => c.toBlob(resolve, type === 'png' ? 'image/png' : 'image/jpeg', 0.92));
  if (!blob) throw new Error('The frame could not be encoded.');
  return blob;
}

/**
 * A camera for one view: `start` (on a click) asks for it and shows it in `video`; `stop` ends
 * the track. It stops by itself when the view unmounts (the dialog closes, the tab changes) and
 * when the page is hidden.
 */
export function useCamera() {
  const video = useRef<HTMLVideoElement>(null);
  const stream = useRef<MediaStream | undefined>(undefined);
  const [state, setState] = useState<'off' | 'starting' | 'on'>('off');
  const [error, setError] = useState<CameraError>();
  /** Bumped by every stop: a camera that arrives after one (the view closed while asking) is stopped at once. */
  const generation = useRef(0);
  const stop = useCallback(() => {
    generation.current++;
    stream.current?.getTracks().forEach((t) => t.stop());
    stream.current = undefined;
    if (video.current) video.current.srcObject = null;
    setState('off');
  }, []);
  const start = useCallback(async () => {
    if (stream.current) return;
    const asked = ++generation.current;
    setError(undefined);
    setState('starting');
    try {
      const s = await openCamera();
      if (asked !== generation.current) return s.getTracks().forEach((t) => t.stop());
      stream.current = s;
      if (video.current) {
        video.current.srcObject = s;
        await video.current.play().catch(() => {});
      }
      setState('on');
    } catch (e) {
      if (asked !== generation.current) return;
      setError(e as CameraError);
      setState('off');
    }
  }, []);
  useEffect(() => {
    const hidden = () => document.visibilityState === 'hidden' && stop();
    document.addEventListener('visibilitychange', hidden);
    return () => {
      document.removeEventListener('visibilitychange', hidden);
      stop();
    };
  }, [stop]);
  return { video, state, error, start, stop };
}
