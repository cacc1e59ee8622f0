"""Pure shared vocabulary: states (the transition table), clocks, access rules, errors and the reference-data bundle."""
