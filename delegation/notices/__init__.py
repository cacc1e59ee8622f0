"""催办 and 督办 notices: pure drafting, numbering and texts (model) and their issue and acknowledgement (service)."""
