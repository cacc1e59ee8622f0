"""Statistics for command centers: facts per matter (model, pure), kept current by the transitions and
reconciled nightly (service), read per court, court pair, matter type and city, with drill-down filters,
exports (xlsx/CSV, streamed) and the wall screen's figures."""
