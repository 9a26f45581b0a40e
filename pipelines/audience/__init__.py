"""What the audience did and said: the record of every request and the feedback given on its result."""
