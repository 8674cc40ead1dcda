import { getFragmentData, type FragmentType } from '../generated';
import { ReviewItemFragmentDoc } from '../generated/graphql';
import { Stars } from './Stars';

const dateFormat = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });

export function ReviewItem({ review: masked }: { review: FragmentType<typeof ReviewItemFragmentDoc> }) {
  const review = getFragmentData(ReviewItemFragmentDoc, masked);
  return (
    <article className="review">
      <header>
        <Stars value={review.rating} label={`${review.rating} out of 5 stars`} />
        <h4 className="review__title">{review.title}</h4>
      </header>
      <p className="review__body">{review.body}</p>
      <p className="muted small">
        {review.author.name} · <time dateTime={review.createdAt}>{dateFormat.format(new Date(review.createdAt))}</time>
      </p>
    </article>
  );
}
