export function SignIn() {
  return <h1>Sign in</h1>;
}
export function Register() {
  return <h1>Create account</h1>;
}
