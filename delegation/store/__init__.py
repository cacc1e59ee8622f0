"""The only home of SQL: engine and sessions, tables, dialect helpers and the repository."""
