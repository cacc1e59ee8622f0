"""Pure matter catalogue and SLA policy: field kinds, identifiers, case numbers, values, policy versions."""
