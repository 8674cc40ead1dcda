import { useApolloClient } from '@apollo/client/react';
import { useEffect, useRef } from 'react';
import { Route, Routes } from 'react-router';
import { useAuth } from './auth';
import { Cart } from './routes/Cart';
import { Catalogue } from './routes/Catalogue';
import { Checkout } from './routes/Checkout';
import { Layout } from './routes/Layout';
import { NotFound } from './routes/NotFound';
import { OrderList } from './routes/OrderList';
import { OrderPage } from './routes/OrderPage';
import { ProductPage } from './routes/ProductPage';
import { Register, SignIn } from './routes/Account';

/** One customer's data never shows to the next: the cache is emptied whenever the token changes. */
function useCacheClearedOnSignInAndOut() {
  const client = useApolloClient();
  const { token } = useAuth();
  const previous = useRef(token);
  useEffect(() => {
    if (previous.current === token) return;
    previous.current = token;
    void client.resetStore().catch(() => {});
  }, [client, token]);
}

export function App() {
  useCacheClearedOnSignInAndOut();
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<Catalogue />} />
        <Route path="products/:id" element={<ProductPage />} />
        <Route path="cart" element={<Cart />} />
        <Route path="sign-in" element={<SignIn />} />
        <Route path="register" element={<Register />} />
        <Route path="checkout" element={<Checkout />} />
        <Route path="orders" element={<OrderList />} />
        <Route path="orders/:id" element={<OrderPage />} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
