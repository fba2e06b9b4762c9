"""Scrapy spiders for career boards; extraction lives in `crawler.extract` as pure functions."""
