"""Mining: margin-based bitext alignment and hard negatives, with kNN search helpers."""
