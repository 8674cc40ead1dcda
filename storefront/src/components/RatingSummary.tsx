import { getFragmentData, type FragmentType } from '../generated';
import { RatingSummaryFragmentDoc } from '../generated/graphql';
import { Stars } from './Stars';

/** The product's rating: its average, how many reviews, and how the stars spread. */
export function RatingSummary({ rating: masked }: { rating: FragmentType<typeof RatingSummaryFragmentDoc> | null }) {
  const rating = getFragmentData(RatingSummaryFragmentDoc, masked);
  // Null only while the reviews service cannot be reached: the rest of the product still shows.
  if (!rating) return <p className="muted">Ratings are unavailable right now.</p>;
  if (rating.average === null || rating.count === 0) return <p className="muted">No ratings yet.</p>;
  return (
    <div className="rating">
      <p className="rating__headline">
        <Stars value={rating.average} label={`Rated ${rating.average} out of 5`} />
        <span>
          {rating.average} out of 5 · {rating.count} {rating.count === 1 ? 'rating' : 'ratings'}
        </span>
      </p>
      <dl className="rating__distribution">
        {rating.distribution.map(({ stars, count }) => (
          <div key={stars} className="rating__row">
            <dt>{stars} stars</dt>
            <dd>
              <meter min={0} max={rating.count} value={count} aria-label={`${stars} stars`} /> {count}
            </dd>
          </div>
        ))}
      </dl>
    </div>
  );
}
