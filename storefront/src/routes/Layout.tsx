import { useQuery } from '@apollo/client/react';
import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth';
import { RenderErrorBoundary } from '../components/RenderErrorBoundary';
import { HeaderDocument } from '../generated/graphql';

/**
 * The cart link. Its name starts with "Cart" and says how many items the cart holds ("Cart, 2
 * items"), the words visible to screen readers; the eye sees "Cart" and the count as a badge.
 */
function CartLink({ quantity }: { quantity: number }) {
  return (
    <NavLink to="/cart" className="header__cart">
      <svg viewBox="0 0 24 24" aria-hidden="true" focusable="false">
        <path d="M3 4h2l2.4 10.2a2 2 0 0 0 2 1.5h7.4a2 2 0 0 0 1.9-1.4L21 8H6.2" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
        <circle cx="10" cy="20" r="1.5" fill="currentColor" />
        <circle cx="17" cy="20" r="1.5" fill="currentColor" />
      </svg>
      <span className="visually-hidden">{`Cart, ${quantity} ${quantity === 1 ? 'item' : 'items'}`}</span>
      <span aria-hidden="true">Cart</span>
      <span className="header__badge" aria-hidden="true">
        {quantity}
      </span>
    </NavLink>
  );
}

/** Who is signed in and their cart; anonymous visitors get the sign-in links and an empty cart. */
function HeaderAccount() {
  const { signedIn, signOut } = useAuth();
  const navigate = useNavigate();
  const { data } = useQuery(HeaderDocument, { skip: !signedIn });
  const quantity = (signedIn && data?.cart?.totalQuantity) || 0;
  return (
    <nav className="header__nav" aria-label="Account">
      {signedIn ? (
        <>
          <NavLink to="/orders">Orders</NavLink>
          <span className="header__name muted">{data?.me?.name ? `Hi, ${data.me.name.split(' ')[0]}` : null}</span>
          <button
            type="button"
            className="link-button"
            onClick={() => {
              signOut();
              void navigate('/');
            }}
          >
            Sign out
          </button>
        </>
      ) : (
        <>
          <NavLink to="/sign-in">Sign in</NavLink>
          <NavLink to="/register">Register</NavLink>
        </>
      )}
      <CartLink quantity={quantity} />
    </nav>
  );
}

/**
 * A new page starts at its top, and a screen reader's focus moves to it, as a full page load would
 * do; a change of the query string alone (a filter, the next page of the catalogue) keeps both.
 */
function useNewPageFocus() {
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  // The path last shown, rather than a first-run flag: StrictMode runs effects twice on mount, and
  // a flag would move the focus past the skip link on the first page.
  const shown = useRef(pathname);
  useEffect(() => {
    if (shown.current === pathname) return;
    shown.current = pathname;
    window.scrollTo(0, 0);
    main.current?.focus({ preventScroll: true });
  }, [pathname]);
  return main;
}

export function Layout() {
  const main = useNewPageFocus();
  const { pathname } = useLocation();
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="header">
        <div className="header__inner">
          <Link to="/" className="header__brand">
            <span className="header__logo" aria-hidden="true">
              ●
            </span>
            GreenCart
          </Link>
          <HeaderAccount />
        </div>
      </header>
      <main id="main" className="main" ref={main} tabIndex={-1}>
        <RenderErrorBoundary key={pathname}>
          <Outlet />
        </RenderErrorBoundary>
      </main>
      <footer className="footer">
        <p>GreenCart · a reference storefront on the GreenCart API</p>
      </footer>
    </>
  );
}
