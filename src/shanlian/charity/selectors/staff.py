"""Staff reads: lists for station workers and finance officers, scoped by role."""
