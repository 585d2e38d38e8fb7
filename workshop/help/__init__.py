"""The guides for organizers and facilitators, served as the in-app Help."""
