"""rolewatch: job-board watcher — crawl, keep every version, email digests of what changed."""

__version__ = "0.1.0"
