"""Drafts' documents, revealing personal data (with its access log) and court-to-court messages."""
