"""Evaluation of social organizations and stations: indicator frameworks (versioned data), grade assessment, brand
batches, capacity diagnosis, staff assessment and the supervision calendar."""
