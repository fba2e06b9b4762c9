"""One thin spider per board family: requests and paging only."""
