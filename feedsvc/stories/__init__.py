"""Stories: entries merged into stories on their canonical link, the source table, and the story filters. Pure."""
