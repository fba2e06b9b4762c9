"""Pure extraction functions: a board's decoded payload in, `RawPosting`s out. No I/O."""
