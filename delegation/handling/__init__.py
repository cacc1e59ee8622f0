"""The write path: one use case per action on a delegation."""
