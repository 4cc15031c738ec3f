"""The resource hub (资源整合): what government departments, firms, schools, hospitals and organizations offer, matched
to the needs of stations and organizations, committed, delivered and confirmed with quantities conserved."""
