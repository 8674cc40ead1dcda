/** Five stars, `value` of them filled (halves rounded), with the number for screen readers. */
export function Stars({ value, label }: { value: number; label: string }) {
  const filled = Math.round(value);
  return (
    <span className="stars" role="img" aria-label={label}>
      {[1, 2, 3, 4, 5].map((star) => (
        <span key={star} aria-hidden="true" className={star <= filled ? 'star star--on' : 'star'}>
          ★
        </span>
      ))}
    </span>
  );
}
