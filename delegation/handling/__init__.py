"""The write path: commands (what each action takes), rules (pure per-action checks keyed by Action) and
service (the one `perform`, drafts, documents), each use case one transaction on a Context."""
