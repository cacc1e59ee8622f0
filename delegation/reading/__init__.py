"""Read models: delegation lists and detail, work lists, the command center dashboard."""
