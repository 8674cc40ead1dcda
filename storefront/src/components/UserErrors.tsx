import { getFragmentData, type FragmentType } from '../generated';
import { UserErrorItemFragmentDoc } from '../generated/graphql';

export type MaskedUserError = FragmentType<typeof UserErrorItemFragmentDoc>;

/** The API's expected failures (`userErrors`), as plain values: field, message, code. */
export const readUserErrors = (errors: readonly MaskedUserError[] | null | undefined) => (errors ?? []).map((error) => getFragmentData(UserErrorItemFragmentDoc, error));

/** The failures of a form, announced; each names its field when the API says which one. */
export function FormErrors({ errors }: { errors: ReadonlyArray<{ message: string; field?: string | null }> }) {
  if (errors.length === 0) return null;
  return (
    <div className="form-errors" role="alert">
      <ul>
        {errors.map((error, index) => (
          <li key={index}>{error.message}</li>
        ))}
      </ul>
    </div>
  );
}
