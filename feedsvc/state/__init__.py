"""State kept between runs in the state directory: the SQLite cache and the story index built from it."""
