"""Seeded demo data for a Guangzhou-like city: `shanlian seed_demo` and `shanlian demo`."""
