import { Link } from 'react-router';
import { usePageTitle } from '../page-title';

export function NotFound() {
  usePageTitle('Page not found');
  return (
    <section className="state state--empty">
      <h1>Page not found</h1>
      <p>There is nothing at this address. It may have moved, or the link may be mistyped.</p>
      <Link to="/" className="button">
        Back to the shop
      </Link>
    </section>
  );
}
