"""Loading and refreshing the reference data (courts, calendar schedules, policies) from the database."""
