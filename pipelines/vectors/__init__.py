"""Numeric methods on vectors that provisioning, serving and tasks share: an encoder's output pooled into
sentence vectors, and the recommender's methods over the ratings matrix. numpy and scipy only, no model."""
