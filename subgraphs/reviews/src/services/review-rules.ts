import { freeTextProblem, userError, UserErrorCode, type UserError } from '@greencart/platform';

export const MIN_STARS = 1;
export const MAX_STARS = 5;
/** The longest title and body, in characters (Unicode code points, as a reader counts them). */
export const MAX_TITLE_LENGTH = 120;
export const MAX_BODY_LENGTH = 5000;

export interface ReviewInput {
  productId: string;
  rating: number;
  title: string;
  body: string;
}

/** A review's text as it is kept: trimmed at both ends. */
export interface ValidReview {
  rating: number;
  title: string;
  body: string;
}

const characters = (text: string) => Array.from(text).length;

function textProblem(label: string, text: string, kind: 'single-line' | 'multi-line', max: number, field: string): UserError | undefined {
  const problem = freeTextProblem(label, text, kind);
  if (problem) return userError(UserErrorCode.INVALID_INPUT, problem, field);
  const length = characters(text.trim());
  if (length === 0 || length > max) return userError(UserErrorCode.INVALID_INPUT, `${label} must be 1 to ${max.toLocaleString('en-US')} characters.`, field);
  return undefined;
}

/** Checks what a customer wrote: every problem at once, each naming its field under `input`. */
export function validateReview(input: ReviewInput): { review?: ValidReview; errors: UserError[] } {
  const errors: UserError[] = [];
  if (!Number.isInteger(input.rating) || input.rating < MIN_STARS || input.rating > MAX_STARS) {
    errors.push(userError(UserErrorCode.INVALID_INPUT, `The rating must be a whole number of stars from ${MIN_STARS} to ${MAX_STARS}.`, 'input.rating'));
  }
  const titleProblem = textProblem('The title', input.title, 'single-line', MAX_TITLE_LENGTH, 'input.title');
  if (titleProblem) errors.push(titleProblem);
  const bodyProblem = textProblem('The review', input.body, 'multi-line', MAX_BODY_LENGTH, 'input.body');
  if (bodyProblem) errors.push(bodyProblem);
  if (errors.length > 0) return { errors };
  return { review: { rating: input.rating, title: input.title.trim(), body: input.body.trim() }, errors };
}

/** A product's rating as the API shows it. */
export interface ProductRating {
  average: number | null;
  count: number;
  distribution: Array<{ stars: number; count: number }>;
}

/**
 * The rating of a product from how many reviews gave each number of stars: the mean rounded half
 * up to one decimal, computed in integers (4.25 is 4.3, never 4.2 by a float's whim); all five
 * star counts, 5 down to 1.
 */
export function ratingOf(starCounts: ReadonlyArray<{ stars: number; count: number }>): ProductRating {
  const byStars = new Map<number, number>();
  for (const { stars, count } of starCounts) byStars.set(stars, (byStars.get(stars) ?? 0) + count);
  const distribution = [];
  for (let stars = MAX_STARS; stars >= MIN_STARS; stars -= 1) distribution.push({ stars, count: byStars.get(stars) ?? 0 });
  const count = distribution.reduce((total, entry) => total + entry.count, 0);
  const stars = distribution.reduce((total, entry) => total + entry.stars * entry.count, 0);
  // round(10 · stars / count) half up, as floor((20 · stars + count) / (2 · count)).
  const average = count === 0 ? null : Math.floor((20 * stars + count) / (2 * count)) / 10;
  return { average, count, distribution };
}
