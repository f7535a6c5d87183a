"""Exports of a séance: one module per format, all fed by services.summary and exports.tables."""
