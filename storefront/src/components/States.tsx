import type { ReactNode } from 'react';

/** A region still loading; `label` says what, for screen readers. */
export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="state state--loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

/** Something failed where the shopper is looking: say so, and offer to try again. */
export function ErrorState({ title = 'Something went wrong', message, onRetry }: { title?: string; message?: string; onRetry?: () => void }) {
  return (
    <div className="state state--error" role="alert">
      <h2>{title}</h2>
      <p>{message ?? "We couldn't reach the shop. Check your connection and try again."}</p>
      {onRetry && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Nothing to show yet, and what the shopper might do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
