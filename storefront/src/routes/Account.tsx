import { useApolloClient, useMutation } from '@apollo/client/react';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth';
import { FormErrors, readUserErrors } from '../components/UserErrors';
import { TextField } from '../components/TextField';
import { AddToCartDocument, CreateAccountDocument, SignInDocument } from '../generated/graphql';
import { usePageTitle } from '../page-title';
import { pendingCart } from '../pending-cart';

/** Where to go after signing in: `?next=` when it is a path of this app, the catalogue otherwise. */
function useNextPath(): string {
  const [params] = useSearchParams();
  const next = params.get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

/**
 * Signs in with a fresh token: first adds what the visitor chose before (with that token, before
 * the app switches to it and empties its cache), then remembers the token and moves on.
 */
function useCompleteSignIn() {
  const client = useApolloClient();
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const next = useNextPath();
  return async (token: string) => {
    const failures: string[] = [];
    for (const addition of pendingCart.read()) {
      const result = await client.mutate({ mutation: AddToCartDocument, variables: { input: addition }, context: { headers: { authorization: `Bearer ${token}` } } }).catch(() => undefined);
      failures.push(...readUserErrors(result?.data?.addToCart?.userErrors).map((error) => error.message));
      if (!result?.data?.addToCart) failures.push('An item could not be added to your cart.');
    }
    pendingCart.clear();
    signIn(token);
    void navigate(next, { state: failures.length > 0 ? { notice: failures.join(' ') } : undefined });
  };
}

/** Why a visitor landed here, when they were sent from an `Add to cart`. */
function CartReason() {
  const [params] = useSearchParams();
  if (params.get('reason') !== 'cart') return null;
  return <p className="notice notice--info">Sign in or create an account, and we'll add your choice to your cart.</p>;
}

/** The field errors of a form: the API's, by field; the rest (or a failure to reach it) above the button. */
function useFormErrors() {
  const [errors, setErrors] = useState<Array<{ field?: string | null; message: string }>>([]);
  return {
    errors,
    setErrors,
    forField: (field: string) => errors.find((error) => error.field === field)?.message,
    general: errors.filter((error) => !error.field || !['email', 'password', 'name'].includes(error.field)),
  };
}

export function SignIn() {
  usePageTitle('Sign in');
  const [login, { loading }] = useMutation(SignInDocument);
  const complete = useCompleteSignIn();
  const form = useFormErrors();
  const [params] = useSearchParams();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const fields = new FormData(event.currentTarget);
    const result = await login({ variables: { input: { email: String(fields.get('email')), password: String(fields.get('password')) } } }).catch(() => undefined);
    const payload = result?.data?.login;
    if (payload?.token) return complete(payload.token);
    form.setErrors(payload ? readUserErrors(payload.userErrors) : [{ message: "We couldn't reach the shop. Please try again." }]);
  };

  return (
    <section className="auth panel">
      <h1>Sign in</h1>
      <CartReason />
      <form onSubmit={(event) => void submit(event)} noValidate>
        <TextField label="Email" name="email" type="email" autoComplete="email" required error={form.forField('email')} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required error={form.forField('password')} />
        <FormErrors errors={form.general} />
        <button type="submit" className="button button--primary" disabled={loading}>
          Sign in
        </button>
      </form>
      <p className="muted">
        New to GreenCart? <Link to={`/register?${params}`}>Create an account</Link>
      </p>
    </section>
  );
}

export function Register() {
  usePageTitle('Create account');
  const [register, { loading }] = useMutation(CreateAccountDocument);
  const complete = useCompleteSignIn();
  const form = useFormErrors();
  const [params] = useSearchParams();

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const fields = new FormData(event.currentTarget);
    const input = { name: String(fields.get('name')), email: String(fields.get('email')), password: String(fields.get('password')) };
    const result = await register({ variables: { input } }).catch(() => undefined);
    const payload = result?.data?.register;
    if (payload?.token) return complete(payload.token);
    form.setErrors(payload ? readUserErrors(payload.userErrors) : [{ message: "We couldn't reach the shop. Please try again." }]);
  };

  return (
    <section className="auth panel">
      <h1>Create an account</h1>
      <CartReason />
      <form onSubmit={(event) => void submit(event)} noValidate>
        <TextField label="Name" name="name" autoComplete="name" required error={form.forField('name')} />
        <TextField label="Email" name="email" type="email" autoComplete="email" required error={form.forField('email')} />
        <TextField label="Password" name="password" type="password" autoComplete="new-password" minLength={8} required error={form.forField('password')} />
        <FormErrors errors={form.general} />
        <button type="submit" className="button button--primary" disabled={loading}>
          Create account
        </button>
      </form>
      <p className="muted">
        Already have an account? <Link to={`/sign-in?${params}`}>Sign in</Link>
      </p>
    </section>
  );
}
