"""The deadline engine: the sweep over due rungs and the recompute after calendar or policy changes."""
