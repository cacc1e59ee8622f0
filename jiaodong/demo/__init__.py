"""Demo data for a first run: the scenarios (`scenarios.yaml`) and the seeder that files them."""
