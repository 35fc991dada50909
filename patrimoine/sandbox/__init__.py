"""Local stand-ins for the portals, for tests and for the data manager's rehearsals."""
