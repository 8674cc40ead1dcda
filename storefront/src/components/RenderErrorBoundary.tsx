import { Component, type ReactNode } from 'react';
import { ErrorState } from './States';

/**
 * A page that throws while rendering shows an error where it would have been, with the header
 * still there, instead of a blank window. Keyed by the route, so moving elsewhere starts afresh.
 */
export class RenderErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  render() {
    if (this.state.failed) return <ErrorState title="This page could not be shown" message="Something went wrong on our side. Reloading the page may help." onRetry={() => location.reload()} />;
    return this.props.children;
  }
}
