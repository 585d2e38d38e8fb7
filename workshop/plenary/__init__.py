"""The plenary: each theme's needs ranked across its tables, live, for the organizers."""
