import { useEffect } from 'react';

/** The document's title for the current page, so tabs and history entries say where they lead. */
export function usePageTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · GreenCart` : 'GreenCart';
  }, [title]);
}
