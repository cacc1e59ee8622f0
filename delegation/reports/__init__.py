"""Monthly figures and workbook (model), the report job and the daily digest (service)."""
