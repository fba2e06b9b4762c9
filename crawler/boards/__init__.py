"""One thin board reader per family: requests and paging only, over the pure extractors."""
